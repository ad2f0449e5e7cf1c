using Xunit.Abstractions;

namespace SoulBox.Hostile.Tests;

/// <summary>One-shot executors are shared between callers (and tenants): whatever a run leaves — files, modes,
/// processes, IPC objects, environment — must be gone for the next run in the same container. Each case
/// leaves everything it can, then runs again until it lands in the same container (same hostname) and
/// looks for every trace.</summary>
[Collection(HostileCollection.Name)]
public sealed class OneShotLeftoverTests(HostileNode node, ITestOutputHelper output)
{
    /// <summary>A memory bucket no other case uses, so the executors of this key are only this case's.</summary>
    private const int MemoryMb = 1024;

    private const string Leave = """
        echo host=$(cat /proc/sys/kernel/hostname)
        echo secret > /home/sandbox/left.txt
        echo 'export LEAK=1' > /home/sandbox/.profile
        echo secret > /tmp/left.txt
        mkdir -p /tmp/hidden /dev/shm/hidden && echo secret > /dev/shm/hidden/s && chmod 000 /dev/shm/hidden /tmp/hidden
        setsid sh -c 'exec sleep 600' </dev/null >/dev/null 2>&1 &
        (trap '' TERM HUP; exec sleep 601) </dev/null >/dev/null 2>&1 &
        ipcmk -M 65536 >/dev/null 2>&1; ipcmk -Q >/dev/null 2>&1; ipcmk -S 1 >/dev/null 2>&1
        echo shm_made=$(($(wc -l < /proc/sysvipc/shm) - 1)) msg_made=$(($(wc -l < /proc/sysvipc/msg) - 1)) sem_made=$(($(wc -l < /proc/sysvipc/sem) - 1))
        chmod 0 /home/sandbox
        echo left
        """;

    private const string Look = """
        echo host=$(cat /proc/sys/kernel/hostname)
        echo files=$(ls -A /home/sandbox/left.txt /home/sandbox/.profile /tmp/left.txt /tmp/hidden /dev/shm/hidden 2>/dev/null | wc -l)
        echo mode=$(stat -c %a /home/sandbox)
        echo sleepers=$(cat /proc/[0-9]*/comm 2>/dev/null | grep -c '^sleep$')
        echo shm=$(($(wc -l < /proc/sysvipc/shm) - 1)) msg=$(($(wc -l < /proc/sysvipc/msg) - 1)) sem=$(($(wc -l < /proc/sysvipc/sem) - 1))
        echo mq=$(ls -A /dev/mqueue 2>/dev/null | wc -l)
        echo leak=${LEAK:-none}
        echo looked
        """;

    public static TheoryData<string> Languages() => new(LanguageShell.Languages);

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task NothingARunLeavesIsSeenByTheNextRunInTheSameExecutor(string language)
    {
        var left = await ExecuteAsync(node.Attacker, language, Leave);
        output.WriteLine($"leave ({language}):\n{left}");
        Assert.Contains("left", left);
        Assert.Contains("shm_made=1 msg_made=1 sem_made=1", left);
        var host = Field(left, "host");

        // The executor is recycled in the background: run again (as another tenant) until we land in it.
        var seen = await LandInAsync(host, () => ExecuteAsync(node.Other, language, Look));

        Assert.True(seen is not null, $"no later {language} run landed in executor {host}");
        Assert.Contains("looked", seen);
        output.WriteLine($"look ({language}):\n{seen}");
        Assert.Equal("0", Field(seen, "files"));
        Assert.Equal("755", Field(seen, "mode"));
        Assert.Equal("0", Field(seen, "sleepers"));
        Assert.Equal("0", Field(seen, "shm"));
        Assert.Equal("0", Field(seen, "msg"));
        Assert.Equal("0", Field(seen, "sem"));
        Assert.Equal("0", Field(seen, "mq"));
        Assert.Equal("none", Field(seen, "leak"));
        await node.AssertBystanderAnswersAsync();
    }

    [Fact]
    public async Task APosixMessageQueueAndAShmFileDoNotSurviveForTheNextPythonRun()
    {
        const string leave = """
            import ctypes, os
            rt = ctypes.CDLL('librt.so.1', use_errno=True)
            rt.mq_open.restype = ctypes.c_int
            fd = rt.mq_open(b'/soulbox-left', os.O_CREAT | os.O_RDWR, 0o600, None)
            print('mq', fd >= 0, os.listdir('/dev/mqueue') if os.path.isdir('/dev/mqueue') else 'no-mqueue-dir')
            open('/dev/shm/sem.left', 'w').write('x')
            print('host=' + open('/proc/sys/kernel/hostname').read().strip())
            """;
        const string look = """
            import os
            print('host=' + open('/proc/sys/kernel/hostname').read().strip())
            print('mq=%d' % (len(os.listdir('/dev/mqueue')) if os.path.isdir('/dev/mqueue') else 0))
            print('shm=%d' % len(os.listdir('/dev/shm')))
            """;
        var left = await ExecuteCodeAsync(node.Attacker, "python", leave);
        output.WriteLine(left);
        var host = Field(left, "host");
        var seen = await LandInAsync(host, () => ExecuteCodeAsync(node.Other, "python", look));

        Assert.True(seen is not null, $"no later python run landed in executor {host}");
        Assert.Equal("0", Field(seen, "mq"));
        Assert.Equal("0", Field(seen, "shm"));
    }

    /// <summary>Runs <paramref name="look"/> until one lands in the executor named <paramref name="host"/>. The pool hands
    /// out the executor of a key returned last, and ours may still be resetting when we look, so later attempts take
    /// more at once (1, 2, 3, 4): every idle executor of the key is taken, ours among them. The runs use a memory
    /// bucket of their own (<see cref="MemoryMb"/>) and the node keeps up to 8 idle per key, so ours is not evicted.</summary>
    private static async Task<string?> LandInAsync(string host, Func<Task<string>> look)
    {
        await Task.Delay(1000);
        for (var attempt = 1; attempt <= 8; attempt++)
        {
            var looked = await Task.WhenAll(Enumerable.Range(0, Math.Min(attempt, 4)).Select(_ => look()));
            if (looked.FirstOrDefault(l => Field(l, "host") == host) is { } seen)
            {
                return seen;
            }

            await Task.Delay(500);
        }

        return null;
    }

    private static Task<string> ExecuteAsync(HttpClient client, string language, string script) =>
        ExecuteCodeAsync(client, language, LanguageShell.Program(language, script));

    private static async Task<string> ExecuteCodeAsync(HttpClient client, string language, string code)
    {
        using var response = await client.PostJsonAsync("/v1/execute", new { language, code, limits = new { runTimeoutMs = 20_000, memoryMb = MemoryMb } });
        var result = await response.JsonAsync();
        return result.Text("stdout") + result.Text("stderr");
    }

    private static string Field(string text, string name)
    {
        foreach (var part in text.Split(['\n', ' '], StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.StartsWith(name + "=", StringComparison.Ordinal))
            {
                return part[(name.Length + 1)..];
            }
        }

        return $"<{name} missing>";
    }
}
