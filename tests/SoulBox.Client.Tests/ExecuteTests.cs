namespace SoulBox.Client.Tests;

[Collection(ClusterCollection.Name)]
public sealed class ExecuteTests(SoulBoxClusterFixture fixture)
{
    private ISoulBoxClient SoulBox => fixture.SoulBox;

    [Theory]
    [InlineData("python", "import sys\nprint(sys.stdin.read().upper(), sys.argv[1])")]
    [InlineData("javascript", "const fs = require('fs'); console.log(fs.readFileSync(0, 'utf8').toUpperCase(), process.argv[2])")]
    [InlineData("go", "package main\nimport (\"fmt\"; \"io\"; \"os\"; \"strings\")\nfunc main() { b, _ := io.ReadAll(os.Stdin); fmt.Println(strings.ToUpper(string(b)), os.Args[1]) }")]
    [InlineData("java", "import java.util.*;\npublic class Echo { public static void main(String[] a) { Scanner s = new Scanner(System.in); System.out.println(s.nextLine().toUpperCase() + \" \" + a[0]); } }")]
    public async Task Execute_RunsEachLanguageWithStdinAndArgs(string language, string code)
    {
        var result = await SoulBox.ExecuteAsync(new ExecuteRequest { Language = language, Code = code, Stdin = "abc", Args = ["arg1"] });

        Assert.Equal(ExecutionStatus.Ok, result.Status);
        Assert.Equal("ABC arg1", result.Stdout.Trim());
        Assert.Equal(0, result.ExitCode);
        Assert.True(result.WallTimeMs > 0);
        Assert.True(result.PeakMemoryBytes > 0);
    }

    [Theory]
    [InlineData("go", "package main\nfunc main() { undefined() }")]
    [InlineData("java", "public class Main { public static void main(String[] a) { int x = \"s\"; } }")]
    public async Task Execute_ReportsCompileErrors(string language, string code)
    {
        var result = await SoulBox.ExecuteAsync(new ExecuteRequest { Language = language, Code = code });

        Assert.Equal(ExecutionStatus.CompileError, result.Status);
        Assert.NotNull(result.Compile);
        Assert.Null(result.Run);
        Assert.NotEmpty(result.Stderr);
    }

    [Fact]
    public async Task Execute_RunsMultipleFiles()
    {
        var result = await SoulBox.ExecuteAsync(new ExecuteRequest
        {
            Language = "python",
            Files = [new SourceFile { Name = "main.py", Content = "import helper\nprint(helper.twice(21))" }, new SourceFile { Name = "helper.py", Content = "def twice(x):\n    return 2 * x" }],
        });

        Assert.Equal("42\n", result.Stdout);
    }

    [Fact]
    public async Task Execute_InfiniteLoopTimesOut()
    {
        var result = await SoulBox.ExecuteAsync(new ExecuteRequest { Language = "python", Code = "while True: pass", Limits = new ExecutionLimits { RunTimeoutMs = 1000 } });

        Assert.Equal(ExecutionStatus.Timeout, result.Status);
    }

    [Fact]
    public async Task Execute_AllocatingPastTheMemoryLimitIsMemoryLimit()
    {
        var result = await SoulBox.ExecuteAsync(new ExecuteRequest
        {
            Language = "python",
            Code = "blocks = []\nwhile True:\n    blocks.append(bytearray(16 * 1024 * 1024))",
            Limits = new ExecutionLimits { MemoryMb = 128, RunTimeoutMs = 20_000 },
        });

        Assert.Equal(ExecutionStatus.MemoryLimit, result.Status);
    }

    [Fact]
    public async Task Execute_FloodingStdoutHitsTheOutputLimit()
    {
        var result = await SoulBox.ExecuteAsync(new ExecuteRequest
        {
            Language = "python",
            Code = "while True:\n    print('x' * 1000)",
            Limits = new ExecutionLimits { MaxOutputBytes = 50_000, RunTimeoutMs = 3000 },
        });

        Assert.Contains(result.Status, new[] { ExecutionStatus.OutputLimit, ExecutionStatus.Timeout });
        Assert.True(result.Run?.StdoutTruncated);
        Assert.True(result.Stdout.Length <= 50_000);
    }

    [Fact]
    public async Task Execute_AForkBombEnds_AndTheNodeKeepsServing()
    {
        var bomb = await SoulBox.ExecuteAsync(new ExecuteRequest { Language = "bash", Code = "f() { f | f & }; f; sleep 2", Limits = new ExecutionLimits { RunTimeoutMs = 5000 } });
        var after = await SoulBox.ExecuteAsync(new ExecuteRequest { Language = "python", Code = "print('fine')" });

        // The pids limit stopped the bomb (bash says so on stderr); everything it started died with the run.
        Assert.Contains("Resource temporarily unavailable", bomb.Stderr);
        Assert.Equal("fine\n", after.Stdout);
    }

    [Fact]
    public async Task Execute_CodeThatKillsItsOwnProcessesEnds_AndTheNextRunWorks()
    {
        var suicide = await SoulBox.ExecuteAsync(new ExecuteRequest { Language = "bash", Code = "sleep 100 & kill -9 -1; kill -9 $$" });
        var after = await SoulBox.ExecuteAsync(new ExecuteRequest { Language = "bash", Code = "echo alive" });

        Assert.Equal(9, suicide.Signal);
        Assert.Equal(ExecutionStatus.RuntimeError, suicide.Status);
        Assert.Equal("alive\n", after.Stdout);
    }

    [Fact]
    public async Task Execute_NothingFromAnEarlierRunIsVisibleToALaterOne()
    {
        // All runs on one node, so later runs land in the container the first one used (reset in between).
        var node = fixture.Cluster.Client.GetGrain<SoulBox.Grains.INodeGrain>(fixture.Nodes[0]);
        var first = await node.ExecuteAsync(new ExecuteRequest
        {
            Language = "bash",
            Code = "echo secret > /home/sandbox/left.txt; echo secret > /tmp/left.txt; echo x > /dev/shm/left; setsid sleep 600 > /dev/null 2>&1 < /dev/null & cat /etc/hostname",
        }, "tests");
        var firstHost = first.Stdout.Trim();
        // Idle executors are taken newest first: a run that starts before the first container's reset has ended gets
        // a container of its own, which then stays on top. So wait for the reset (it kills the sleep) to be done.
        for (var wait = 0; wait < 60 && (await DockerCli.RunAsync("top", firstHost, "-eo", "args")).Contains("sleep 600"); wait++)
        {
            await Task.Delay(500);
        }

        await Task.Delay(1000);
        var sawSameContainer = false;
        for (var attempt = 0; attempt < 12 && !sawSameContainer; attempt++)
        {
            var later = await node.ExecuteAsync(new ExecuteRequest
            {
                Language = "bash",
                Code = "ls -A /home/sandbox /tmp /dev/shm | grep -c left; for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null; echo; done | grep -c '^sleep 600'; cat /etc/hostname",
            }, "tests");
            var lines = later.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal("0", lines[0]);
            Assert.Equal("0", lines[1]);
            sawSameContainer = lines[2] == firstHost;
            await Task.Delay(300);
        }

        Assert.True(sawSameContainer, "no later run landed in the container the first run used, so reuse was not exercised");
    }
}
