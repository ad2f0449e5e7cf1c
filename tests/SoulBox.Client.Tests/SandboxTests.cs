using System.Text;

namespace SoulBox.Client.Tests;

[Collection(ClusterCollection.Name)]
public sealed class SandboxTests(SoulBoxClusterFixture fixture)
{
    private ISoulBoxClient SoulBox => fixture.SoulBox;

    [Theory]
    [InlineData("python", "print('hello ' + 'world')")]
    [InlineData("node", "console.log('hello ' + 'world')")]
    [InlineData("go", "package main\nimport \"fmt\"\nfunc main() { fmt.Println(\"hello world\") }")]
    [InlineData("java", "public class Main { public static void main(String[] args) { System.out.println(\"hello world\"); } }")]
    public async Task RunCode_PrintsHelloWorld_InEveryTemplate(string template, string code)
    {
        await using var sandbox = await SoulBox.CreateSandboxAsync(new SandboxCreateOptions { Template = template });

        var result = await sandbox.RunCodeAsync(code);

        Assert.Equal(ExecutionStatus.Ok, result.Status);
        Assert.Equal("hello world\n", result.Stdout);
        Assert.Null(result.Error);
        Assert.Contains(sandbox.Info.Node, fixture.Nodes);
    }

    [Fact]
    public async Task RunCode_KeepsPythonVariablesBetweenRuns_AndReturnsTheLastExpression()
    {
        await using var sandbox = await SoulBox.CreateSandboxAsync();

        await sandbox.RunCodeAsync("import math\nx = 40");
        var result = await sandbox.RunCodeAsync("x + 2");

        Assert.Equal("42", result.Value);
        Assert.Equal(ExecutionStatus.Ok, result.Status);
    }

    [Fact]
    public async Task RunCode_KeepsJavaScriptVariablesBetweenRuns()
    {
        await using var sandbox = await SoulBox.CreateSandboxAsync(new SandboxCreateOptions { Template = "node" });

        await sandbox.RunCodeAsync("var counter = 41;");
        var result = await sandbox.RunCodeAsync("counter + 1");

        Assert.Equal("42", result.Value);
    }

    [Fact]
    public async Task RunCode_ReportsExceptionsWithNameValueAndTraceback_AndTheKernelSurvives()
    {
        await using var sandbox = await SoulBox.CreateSandboxAsync();

        var failed = await sandbox.RunCodeAsync("def f():\n    raise ValueError('bad value')\nf()");
        var after = await sandbox.RunCodeAsync("print('still here')");

        Assert.Equal(ExecutionStatus.RuntimeError, failed.Status);
        Assert.Equal("ValueError", failed.Error?.Name);
        Assert.Equal("bad value", failed.Error?.Value);
        Assert.Contains("in f", failed.Error?.Traceback);
        Assert.Equal("still here\n", after.Stdout);
    }

    [Fact]
    public async Task Contexts_HaveSeparateState()
    {
        await using var sandbox = await SoulBox.CreateSandboxAsync();
        var context = await sandbox.CreateContextAsync("python");

        await sandbox.RunCodeAsync("y = 'default'");
        await sandbox.RunCodeAsync(new CodeRunRequest { Code = "y = 'other'", ContextId = context });
        var inDefault = await sandbox.RunCodeAsync("y");
        var inOther = await sandbox.RunCodeAsync(new CodeRunRequest { Code = "y", ContextId = context });

        Assert.Equal("'default'", inDefault.Value);
        Assert.Equal("'other'", inOther.Value);
    }

    [Fact]
    public async Task RunCodeStream_DeliversOutputInOrder_BeforeTheRunEnds()
    {
        // Causal, not timed: the cell prints, then waits for a file this test writes only once that line has
        // arrived. Output held back until the end would leave the cell waiting out its 20 s, then printing 'never'.
        await using var sandbox = await SoulBox.CreateSandboxAsync();
        var texts = new List<string>();
        CodeRunResult? result = null;
        var code = "import os, time\nprint('line 0', flush=True)\nfor _ in range(200):\n    if os.path.exists('/tmp/go'): break\n    time.sleep(0.1)\nprint('line 1' if os.path.exists('/tmp/go') else 'never', flush=True)\nprint('line 2')";
        await foreach (var item in sandbox.RunCodeStreamAsync(code))
        {
            if (item.CodeResult is not null)
            {
                result = item.CodeResult;
                continue;
            }

            texts.Add(item.Text);
            if (texts.Count == 1)
            {
                Assert.Equal("line 0\n", item.Text);
                await sandbox.Files.WriteAsync("/tmp/go", "");
            }
        }

        Assert.Equal("line 0\nline 1\nline 2\n", string.Concat(texts));
        Assert.Equal(ExecutionStatus.Ok, result?.Status);
    }

    [Fact]
    public async Task Commands_PassStdinAndReportExitCodes()
    {
        await using var sandbox = await SoulBox.CreateSandboxAsync();

        var echoed = await sandbox.Commands.RunAsync("tr a-z A-Z", stdin: "shout\n");
        var failed = await sandbox.Commands.RunAsync(new CommandRequest { Argv = ["sh", "-c", "echo oops >&2; exit 7"] });

        Assert.Equal("SHOUT\n", echoed.Stdout);
        Assert.Equal(0, echoed.ExitCode);
        Assert.Equal(7, failed.ExitCode);
        Assert.Equal("oops\n", failed.Stderr);
        Assert.Equal(ExecutionStatus.RuntimeError, failed.Status);
    }

    [Fact]
    public async Task Commands_RunAsTheUnprivilegedSandboxUser_WithNoNetwork()
    {
        await using var sandbox = await SoulBox.CreateSandboxAsync();

        var id = await sandbox.Commands.RunAsync("id -un; id -u; grep Cap /proc/self/status");
        var interfaces = await sandbox.Commands.RunAsync("cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '");
        var readOnlyRoot = await sandbox.Commands.RunAsync("touch /usr/x");

        var lines = id.Stdout.Split('\n');
        Assert.Equal("sandbox", lines[0]);
        // A uid of the sandbox's own (not shared with any other sandbox on the host), never root.
        // 2,000,000,000 and up: clear of /etc/subuid ranges (see SandboxUidAllocator).
        Assert.True(long.Parse(lines[1]) >= 2_000_000_000, id.Stdout);
        Assert.Contains("CapEff:\t0000000000000000", id.Stdout);
        Assert.Equal("lo", interfaces.Stdout.Trim());
        Assert.NotEqual(0, readOnlyRoot.ExitCode);
    }

    [Fact]
    public async Task Commands_CannotReachALoopbackServerOnTheHost()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        await using var sandbox = await SoulBox.CreateSandboxAsync();

        var result = await sandbox.RunCodeAsync(
            $"import socket\ns = socket.socket()\ns.settimeout(2)\ntry:\n    s.connect(('127.0.0.1', {port}))\n    print('connected')\nexcept OSError as e:\n    print('refused', type(e).__name__)");

        Assert.StartsWith("refused", result.Stdout);
        Assert.False(listener.Pending());
    }

    [Fact]
    public async Task Commands_TimeoutKillsTheWholeProcessTree()
    {
        await using var sandbox = await SoulBox.CreateSandboxAsync();

        var result = await sandbox.Commands.RunAsync(new CommandRequest { Cmd = "sleep 300 & sleep 301 & wait", TimeoutMs = 1000 });

        Assert.Equal(ExecutionStatus.Timeout, result.Status);
        var survivors = await sandbox.Commands.RunAsync("for p in /proc/[0-9]*; do cat $p/cmdline 2>/dev/null | tr '\\0' ' '; echo; done | grep -c '^sleep 30' || true");
        Assert.Equal("0", survivors.Stdout.Trim());
    }

    [Fact]
    public async Task Commands_OutputCapTruncatesAndTheRunStillEnds()
    {
        await using var sandbox = await SoulBox.CreateSandboxAsync();

        var result = await sandbox.Commands.RunAsync(new CommandRequest { Cmd = "yes flood", MaxOutputBytes = 10_000, TimeoutMs = 5_000 });

        Assert.True(result.StdoutTruncated);
        Assert.Equal(10_000, Encoding.UTF8.GetByteCount(result.Stdout));
        Assert.Contains(result.Status, new[] { ExecutionStatus.OutputLimit, ExecutionStatus.Timeout });
    }

    [Fact]
    public async Task Files_RoundTripBinaryContent_AndList()
    {
        await using var sandbox = await SoulBox.CreateSandboxAsync();
        var bytes = Enumerable.Range(0, 256).Select(i => (byte)i).Concat(new byte[3 * 1024 * 1024]).ToArray();

        await sandbox.Files.MakeDirectoryAsync("data/nested");
        var written = await sandbox.Files.WriteAsync("data/nested/all.bin", bytes);
        var read = await sandbox.Files.ReadAsync("/home/sandbox/data/nested/all.bin");
        var listed = await sandbox.Files.ListAsync("data/nested");
        var seenByCode = await sandbox.RunCodeAsync("len(open('data/nested/all.bin','rb').read())");

        Assert.Equal(bytes.Length, written.Size);
        Assert.Equal(bytes, read);
        Assert.Equal("all.bin", Assert.Single(listed).Name);
        Assert.Equal(bytes.Length.ToString(), seenByCode.Value);
    }

    [Fact]
    public async Task Files_RemoveDeletesAndMissingFilesAreTypedErrors()
    {
        await using var sandbox = await SoulBox.CreateSandboxAsync();
        await sandbox.Files.WriteAsync("gone.txt", "x");

        await sandbox.Files.RemoveAsync("gone.txt");

        var error = await Assert.ThrowsAsync<SandboxFileException>(() => sandbox.Files.ReadAsync("gone.txt"));
        Assert.Equal(ErrorCodes.FileNotFound, error.Code);
        var directory = await Assert.ThrowsAsync<SandboxFileException>(() => sandbox.Files.ReadAsync("/home/sandbox"));
        Assert.Equal(ErrorCodes.IsDirectory, directory.Code);
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("/run/soulbox/agent.sock")]
    public async Task Files_PathsOutsideTheSandboxAreRefused(string path)
    {
        await using var sandbox = await SoulBox.CreateSandboxAsync();

        var error = await Assert.ThrowsAsync<SandboxFileException>(() => sandbox.Files.ReadAsync(path));

        Assert.Equal(ErrorCodes.PathEscape, error.Code);
    }

    [Fact]
    public async Task Files_ASymlinkPointingOutIsRefused()
    {
        await using var sandbox = await SoulBox.CreateSandboxAsync();
        await sandbox.Commands.RunAsync("ln -s /etc/shadow sneaky");

        var error = await Assert.ThrowsAsync<SandboxFileException>(() => sandbox.Files.ReadAsync("sneaky"));

        Assert.Equal(ErrorCodes.PathEscape, error.Code);
    }

    [Fact]
    public async Task ListSandboxes_FiltersByMetadata()
    {
        var tag = Guid.NewGuid().ToString("N");
        await using var a = await SoulBox.CreateSandboxAsync(new SandboxCreateOptions { Metadata = new() { ["tag"] = tag, ["user"] = "ann" } });
        await using var b = await SoulBox.CreateSandboxAsync(new SandboxCreateOptions { Metadata = new() { ["tag"] = tag, ["user"] = "bob" } });

        var both = await SoulBox.ListSandboxesAsync(new Dictionary<string, string> { ["tag"] = tag });
        var ann = await SoulBox.ListSandboxesAsync(new Dictionary<string, string> { ["tag"] = tag, ["user"] = "ann" });

        Assert.Equal(new[] { a.Id, b.Id }.Order(), both.Select(s => s.Id).Order());
        Assert.Equal(a.Id, Assert.Single(ann).Id);
    }

    [Fact]
    public async Task SetTimeout_ExtendsTheLifetime()
    {
        await using var sandbox = await SoulBox.CreateSandboxAsync(new SandboxCreateOptions { TimeoutSeconds = 30 });

        await sandbox.SetTimeoutAsync(TimeSpan.FromSeconds(600));

        Assert.True(sandbox.Info.ExpiresAt - DateTimeOffset.UtcNow > TimeSpan.FromSeconds(500));
    }

    [Fact]
    public async Task ConnectAsync_AttachesToAnExistingSandbox()
    {
        await using var sandbox = await SoulBox.CreateSandboxAsync();
        await sandbox.RunCodeAsync("shared = 7");

        var attached = await SoulBox.ConnectAsync(sandbox.Id);

        Assert.Equal("7", (await attached.RunCodeAsync("shared")).Value);
    }
}
