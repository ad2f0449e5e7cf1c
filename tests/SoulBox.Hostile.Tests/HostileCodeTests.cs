using System.Net.Sockets;
using Xunit.Abstractions;

namespace SoulBox.Hostile.Tests;

/// <summary>Hostile code inside a stateful sandbox: bombs, floods, fills and escapes. Each ends cleanly for the
/// attacker (a status or an error, never a hang or a 500), leaves the sandbox usable, and never reaches the
/// node, the agent, the host's loopback or the bystander.</summary>
[Collection(HostileCollection.Name)]
public sealed class HostileCodeTests(HostileNode node, ITestOutputHelper output)
{
    private static readonly string[] Ended = ["timeout", "runtime_error", "memory_limit", "ok"];

    [Theory]
    [InlineData("shell", ":(){ :|:& };:")]
    [InlineData("python", "python3 -c 'import os\nwhile True:\n    try: os.fork()\n    except OSError: pass'")]
    [InlineData("python-threads", "python3 -c 'import threading, time\nwhile True: threading.Thread(target=time.sleep, args=(600,)).start()'")]
    public async Task ForkAndThreadBombs_EndAtTheirLimitAndLeaveNothingRunning(string kind, string cmd)
    {
        var sandbox = await AttackerSandbox.CreateAsync(node);
        var result = await sandbox.CommandAsync(cmd, timeoutMs: 5_000);
        output.WriteLine($"{kind}: {result.Text("status")} {result.Text("stderr")[..Math.Min(200, result.Text("stderr").Length)]}");
        Assert.Contains(result.Text("status"), Ended);
        await sandbox.AssertAnswersAsync();
        var left = await sandbox.CommandAsync("ls -d /proc/[0-9]* | wc -l");
        output.WriteLine($"processes after: {left.Text("stdout")}");
        Assert.True(int.Parse(left.Text("stdout").Trim()) < 20, $"processes left: {left.Text("stdout")}");
        await sandbox.EndAsync();
    }

    [Fact]
    public async Task GoProcessBomb_OneShot_EndsAndTheExecutorIsClean()
    {
        const string code = """
            package main

            import "os/exec"

            func main() {
            	for {
            		exec.Command("/bin/sleep", "600").Start()
            	}
            }
            """;
        using var response = await node.Attacker.PostJsonAsync("/v1/execute", new { language = "go", code, limits = new { runTimeoutMs = 5_000 } });
        var result = await response.JsonAsync();
        output.WriteLine($"go bomb: {result.Text("status")}");
        Assert.Contains(result.Text("status"), Ended);
        await node.AssertBystanderAnswersAsync();
    }

    [Fact]
    public async Task MemoryBombInAChildProcess_IsAMemoryLimitAndTheKernelSurvives()
    {
        var sandbox = await AttackerSandbox.CreateAsync(node);
        await sandbox.CodeAsync("x = 41");
        var result = await sandbox.CommandAsync("python3 -c 'b = bytearray(8 << 30)' || python3 -c 'a = []\nwhile True: a.append(bytearray(64 << 20))'", timeoutMs: 30_000);
        output.WriteLine($"memory bomb: {result}");
        Assert.Contains(result.Text("status"), new[] { "memory_limit", "runtime_error" });
        var value = await sandbox.CodeAsync("x + 1");
        Assert.Equal("42", value.Text("value"));
        await sandbox.EndAsync();
    }

    [Fact]
    public async Task CpuSpinPastTheTimeout_WithAChildIgnoringSigterm_IsKilledWhole()
    {
        var sandbox = await AttackerSandbox.CreateAsync(node);
        const string cmd = "trap '' TERM; python3 -c 'import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True: pass' spin-marker-4711 & setsid sh -c 'trap \"\" TERM; while :; do :; done' & while :; do :; done";
        var result = await sandbox.CommandAsync(cmd, timeoutMs: 2_000);
        Assert.Equal("timeout", result.Text("status"));
        var left = await sandbox.CommandAsync("grep -l 'spin-marker-471[1]' /proc/[0-9]*/cmdline 2>/dev/null | wc -l; cat /proc/[0-9]*/stat 2>/dev/null | awk '$3 == \"R\"' | wc -l");
        var lines = left.Text("stdout").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("0", lines[0].Trim());
        await sandbox.EndAsync();
    }

    [Fact]
    public async Task EndlessOutputWithoutNewlines_IsCappedAsAnOutputLimit()
    {
        var sandbox = await AttackerSandbox.CreateAsync(node);
        var result = await sandbox.CommandAsync("python3 -c 'import sys\nwhile True: sys.stdout.write(\"x\" * 65536)'", timeoutMs: 20_000, maxOutputBytes: 1 << 20);
        Assert.Equal("output_limit", result.Text("status"));
        Assert.True(result.Text("stdout").Length <= 1 << 20, $"stdout of {result.Text("stdout").Length} chars");
        Assert.True(result.GetProperty("stdoutTruncated").GetBoolean());

        // A code run keeps its kernel (and its state), so it is not killed at the cap: it runs to its timeout, and
        // what it printed past the cap is dropped.
        var code = await sandbox.CodeAsync("import sys\nwhile True: sys.stdout.write('y' * 65536)", timeoutMs: 3_000);
        Assert.Contains(code.Text("status"), new[] { "output_limit", "timeout" });
        Assert.True(code.Text("stdout").Length <= 1 << 20, $"stdout of {code.Text("stdout").Length} chars");
        await sandbox.EndAsync();
    }

    [Fact]
    public async Task BinaryAndInvalidUtf8Output_ComesBackAsTextNotAnError()
    {
        var sandbox = await AttackerSandbox.CreateAsync(node);
        var binary = await sandbox.CommandAsync("head -c 200000 /dev/urandom; printf '\\377\\376\\000end'");
        Assert.Equal("ok", binary.Text("status"));
        Assert.EndsWith("end", binary.Text("stdout"));
        var code = await sandbox.CodeAsync("import sys\nsys.stdout.buffer.write(b'\\xff\\xfe\\x00abc\\xc3'); sys.stdout.flush()\n'\\udcff'");
        Assert.Contains("abc", code.Text("stdout"));
        await sandbox.EndAsync();
    }

    [Theory]
    [InlineData("/home/sandbox")]
    [InlineData("/tmp")]
    [InlineData("/dev/shm")]
    public async Task FillingAWritableDirectory_StopsAtItsLimit(string directory)
    {
        var sandbox = await AttackerSandbox.CreateAsync(node);
        var fill = await sandbox.CommandAsync($"dd if=/dev/zero of={directory}/fill bs=1M count=4096 2>&1; echo exit=$?", timeoutMs: 60_000);
        output.WriteLine($"{directory}: {fill.Text("status")} {fill.Text("stdout")}");
        Assert.DoesNotContain("exit=0", fill.Text("stdout"));
        await sandbox.CommandAsync($"rm -f {directory}/fill");
        var after = await sandbox.CommandAsync($"echo ok > {directory}/after && cat {directory}/after");
        Assert.Equal("ok\n", after.Text("stdout"));
        await sandbox.EndAsync();
    }

    [Fact]
    public async Task MillionsOfTinyFiles_EndAtTheTimeoutAndTheSandboxIsStillRemovedCleanly()
    {
        var sandbox = await AttackerSandbox.CreateAsync(node);
        var result = await sandbox.CommandAsync("python3 -c 'import os\nos.makedirs(\"d\", exist_ok=True)\nfor i in range(10**7): open(\"d/%d\" % i, \"w\").close()'", timeoutMs: 10_000);
        output.WriteLine($"tiny files: {result.Text("status")} {result.Text("stderr")}");
        Assert.Contains(result.Text("status"), Ended);
        var listed = await node.Attacker.GetAsync($"/v1/sandboxes/{sandbox.Id}/files/list?path=.");
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        await sandbox.EndAsync();
    }

    [Fact]
    public async Task WritesToTheRootProcAndSys_AreRefused()
    {
        var sandbox = await AttackerSandbox.CreateAsync(node);
        const string script = """
            for target in /x /etc/passwd /usr/bin/python3 /opt/soulbox/soulbox-agent /run/soulbox/x /proc/sys/kernel/hostname /proc/sysrq-trigger /sys/kernel/mm/transparent_hugepage/enabled /sys/fs/cgroup/cgroup.procs; do
              if (echo 1 > "$target") 2>/dev/null; then echo "WROTE $target"; else echo "refused $target"; fi
            done
            """;
        var result = await sandbox.CommandAsync(script);
        output.WriteLine(result.Text("stdout"));
        Assert.DoesNotContain("WROTE", result.Text("stdout"));
        Assert.Equal(9, result.Text("stdout").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        await sandbox.EndAsync();
    }

    [Fact]
    public async Task MountPtraceSignalsAndModules_AreRefusedAndTheAgentSurvives()
    {
        var sandbox = await AttackerSandbox.CreateAsync(node);
        const string script = """
            import ctypes, os, signal
            libc = ctypes.CDLL(None, use_errno=True)
            def attempt(name, call):
                r = call()
                print(name, 'refused' if r == -1 else 'ALLOWED', os.strerror(ctypes.get_errno()))
            agent = [int(p) for p in os.listdir('/proc') if p.isdigit() and os.stat('/proc/' + p).st_uid == 0]
            print('root processes', agent)
            attempt('mount', lambda: libc.mount(b'none', b'/tmp', b'tmpfs', 0, None))
            attempt('unshare-user', lambda: libc.unshare(0x10000000))
            attempt('init_module', lambda: libc.syscall(175, None, 0, b''))
            attempt('finit_module', lambda: libc.syscall(313, 0, b'', 0))
            for pid in agent:
                attempt('ptrace %d' % pid, lambda: libc.ptrace(16, pid, None, None))
                attempt('kill %d' % pid, lambda: libc.kill(pid, signal.SIGKILL))
                attempt('stop %d' % pid, lambda: libc.kill(pid, signal.SIGSTOP))
            attempt('kill -1', lambda: (libc.kill(-1, signal.SIGKILL) and -1) or -1)
            """;
        var result = await sandbox.CommandAsync($"python3 -c \"$(cat <<'EOF'\n{script}\nEOF\n)\"");
        output.WriteLine(result.Text("stdout") + result.Text("stderr"));
        Assert.Contains("root processes [", result.Text("stdout"));
        Assert.DoesNotContain("ALLOWED", result.Text("stdout"));
        await sandbox.EndAsync();
    }

    [Fact]
    public async Task AServerOnTheHostsLoopback_IsUnreachable_AndOnlyLoExists()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var sandbox = await AttackerSandbox.CreateAsync(node);
        var result = await sandbox.CommandAsync(
            $"ls /sys/class/net; python3 -c 'import socket\ntry:\n    socket.create_connection((\"127.0.0.1\", {port}), timeout=3); print(\"CONNECTED\")\nexcept OSError as e: print(\"unreachable\", e)'");
        output.WriteLine(result.Text("stdout"));
        Assert.StartsWith("lo\n", result.Text("stdout"));
        Assert.Contains("unreachable", result.Text("stdout"));
        Assert.DoesNotContain("CONNECTED", result.Text("stdout"));
        Assert.False(listener.Pending(), "the host's loopback listener got a connection from the sandbox");
        await sandbox.EndAsync();
    }

    [Fact]
    public async Task NineMiBOfStdinToACommand_Is413NamingTheLimit_AndTheSandboxStillAnswers()
    {
        var sandbox = await AttackerSandbox.CreateAsync(node);
        using var response = await node.Attacker.PostJsonAsync($"/v1/sandboxes/{sandbox.Id}/commands", new { cmd = "wc -c", stdin = new string('x', 9 * 1024 * 1024) });
        var problem = await response.ProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal("too_large", problem.GetProperty("code").GetString());
        Assert.Contains("MaxStdinBytes", problem.GetProperty("detail").GetString());
        var fits = await sandbox.CommandAsync("wc -c");
        Assert.Equal("ok", fits.Text("status"));
        await sandbox.EndAsync();
    }

    [Fact]
    public async Task DotNetClient_AnOutputFloodAndAForkBombEndCleanly()
    {
        await using var sandbox = await node.DotNet.CreateSandboxAsync(new SandboxCreateOptions { Template = "python", TimeoutSeconds = 300 });
        var flood = await sandbox.Commands.RunAsync(new CommandRequest { Cmd = "cat /dev/zero", TimeoutMs = 20_000, MaxOutputBytes = 1 << 20 });
        Assert.Equal(ExecutionStatus.OutputLimit, flood.Status);
        var bomb = await sandbox.Commands.RunAsync(":(){ :|:& };:", timeout: TimeSpan.FromSeconds(5));
        Assert.Contains(bomb.Status, new[] { ExecutionStatus.Timeout, ExecutionStatus.RuntimeError, ExecutionStatus.Ok });
        var alive = await sandbox.Commands.RunAsync("echo alive", timeout: TimeSpan.FromSeconds(10));
        Assert.Equal("alive\n", alive.Stdout);
        await node.AssertBystanderAnswersAsync();
    }
}
