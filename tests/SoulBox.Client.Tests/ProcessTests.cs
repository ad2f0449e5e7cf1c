using System.Text;

namespace SoulBox.Client.Tests;

/// <summary>Background processes through the .NET client, on a real cluster with real containers.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ProcessTests(SoulBoxClusterFixture fixture)
{
    private ISoulBoxClient SoulBox => fixture.SoulBox;

    [Fact]
    public async Task Start_GivesThePidAtOnce_ThenOutput_ThenTheExitCode()
    {
        await using var sandbox = await SoulBox.CreateSandboxAsync();

        await using var process = await sandbox.Commands.StartAsync("echo out; echo err >&2; echo $$ > /tmp/pid; exit 3");
        var outcome = await process.WaitAsync();

        Assert.True(process.Pid > 0);
        Assert.Equal(process.Pid, outcome.Pid);
        Assert.Equal("out\n", outcome.Stdout);
        Assert.Equal("err\n", outcome.Stderr);
        Assert.Equal(3, outcome.Exit.ExitCode);
        Assert.Null(outcome.Exit.Signal);
        Assert.False(outcome.Exit.TimedOut);
        // The shell line ran as the program whose pid the handle reports.
        Assert.Equal($"{process.Pid}\n", (await sandbox.Commands.RunAsync("cat /tmp/pid")).Stdout);
    }

    [Fact]
    public async Task Argv_Cwd_Env_AndTag_AreUsed_AndListed()
    {
        await using var sandbox = await SoulBox.CreateSandboxAsync();
        await sandbox.Commands.RunAsync("mkdir -p /home/sandbox/work");

        await using var process = await sandbox.Commands.StartAsync(new ProcessStartRequest
        {
            Argv = ["sh", "-c", "pwd; echo $GREETING; exec sleep 60"],
            Cwd = "/home/sandbox/work",
            Env = new Dictionary<string, string> { ["GREETING"] = "hi" },
            Tag = "sleeper",
        });
        var listed = Assert.Single(await sandbox.Commands.ListAsync());
        await process.KillAsync();
        var outcome = await process.WaitAsync();

        Assert.Equal(process.Pid, listed.Pid);
        Assert.Equal(["sh", "-c", "pwd; echo $GREETING; exec sleep 60"], listed.Argv);
        Assert.Equal("/home/sandbox/work", listed.Cwd);
        Assert.Equal("hi", listed.Env["GREETING"]);
        Assert.Equal("sleeper", listed.Tag);
        Assert.Equal("/home/sandbox/work\nhi\n", outcome.Stdout);
        Assert.Equal(9, outcome.Exit.Signal);
        Assert.Empty(await sandbox.Commands.ListAsync());
    }

    [Fact]
    public async Task Stdin_IsDelivered_AndClosingItEndsCat()
    {
        await using var sandbox = await SoulBox.CreateSandboxAsync();

        await using var process = await sandbox.Commands.StartAsync("cat", keepStdinOpen: true);
        await process.SendStdinAsync("hello ");
        await process.SendStdinAsync(Encoding.UTF8.GetBytes("world\n"));
        await process.CloseStdinAsync();
        var outcome = await process.WaitAsync();

        Assert.Equal("hello world\n", outcome.Stdout);
        Assert.Equal(0, outcome.Exit.ExitCode);
    }

    [Fact]
    public async Task Detach_LeavesItRunning_AndReattachSeesOutputFromThenOn_ThenTheExit()
    {
        await using var sandbox = await SoulBox.CreateSandboxAsync();
        var first = await sandbox.Commands.StartAsync("cat", keepStdinOpen: true);
        var pid = first.Pid;
        await first.SendStdinAsync("one\n");
        await using (var events = first.Events.GetAsyncEnumerator())
        {
            Assert.True(await events.MoveNextAsync());
            Assert.Equal("one\n", Encoding.UTF8.GetString(events.Current.Data!));
        }

        await first.DisposeAsync();
        Assert.Equal(pid, Assert.Single(await sandbox.Commands.ListAsync()).Pid);

        await using var second = await sandbox.Commands.AttachAsync(pid);
        await second.SendStdinAsync("two\n");
        await second.CloseStdinAsync();
        var outcome = await second.WaitAsync();

        Assert.Equal(pid, second.Pid);
        Assert.EndsWith("two\n", outcome.Stdout);
        Assert.DoesNotContain("one", outcome.Stdout);
        Assert.Equal(0, outcome.Exit.ExitCode);
    }

    [Fact]
    public async Task SeveralCallers_AttachedAtOnce_AllGetTheOutputAndTheExit()
    {
        await using var sandbox = await SoulBox.CreateSandboxAsync();
        await using var first = await sandbox.Commands.StartAsync("cat", keepStdinOpen: true);
        await using var second = await sandbox.Commands.AttachAsync(first.Pid);

        await first.SendStdinAsync("shared\n");
        await first.CloseStdinAsync();
        var outcomes = await Task.WhenAll(first.WaitAsync(), second.WaitAsync());

        Assert.All(outcomes, o => Assert.Equal("shared\n", o.Stdout));
        Assert.All(outcomes, o => Assert.Equal(0, o.Exit.ExitCode));
    }

    [Theory]
    [InlineData(15)]
    [InlineData(9)]
    [InlineData(2)]
    public async Task Signal_EndsTheProcess_WithThatSignal(int signal)
    {
        await using var sandbox = await SoulBox.CreateSandboxAsync();

        await using var process = await sandbox.Commands.StartAsync(new ProcessStartRequest { Argv = ["sleep", "120"] });
        await process.SignalAsync(signal);
        var outcome = await process.WaitAsync();

        Assert.Equal(signal, outcome.Exit.Signal);
        Assert.Null(outcome.Exit.ExitCode);
        Assert.False(outcome.Exit.TimedOut);
    }

    [Fact]
    public async Task Sigterm_CanBeTrapped_AndTheProcessExitsItsOwnWay()
    {
        await using var sandbox = await SoulBox.CreateSandboxAsync();

        await using var process = await sandbox.Commands.StartAsync("trap 'echo bye; exit 4' TERM; echo ready; while true; do sleep 0.1; done");
        await using var events = process.Events.GetAsyncEnumerator();
        Assert.True(await events.MoveNextAsync());
        Assert.Equal("ready\n", Encoding.UTF8.GetString(events.Current.Data!));
        await sandbox.Commands.SignalAsync(process.Pid, 15);
        var rest = new StringBuilder();
        ProcessExit? exit = null;
        while (await events.MoveNextAsync())
        {
            if (events.Current.Kind == ProcessEventKind.Exited)
            {
                exit = events.Current.Exit;
            }
            else if (events.Current.Kind == ProcessEventKind.Stdout)
            {
                // Stdout only: bash reports on stderr that the group's signal ended its sleep.
                rest.Append(Encoding.UTF8.GetString(events.Current.Data!));
            }
        }

        Assert.Equal("bye\n", rest.ToString());
        Assert.Equal(4, exit?.ExitCode);
    }

    [Fact]
    public async Task Lifetime_KillsTheProcessTree_WhenItPasses()
    {
        await using var sandbox = await SoulBox.CreateSandboxAsync();

        await using var process = await sandbox.Commands.StartAsync("sleep 300 & sleep 300", lifetime: TimeSpan.FromSeconds(1));
        var outcome = await process.WaitAsync();

        Assert.True(outcome.Exit.TimedOut);
        Assert.Equal(9, outcome.Exit.Signal);
        Assert.Equal("0\n", (await sandbox.Commands.RunAsync("for p in /proc/[0-9]*; do cat $p/comm 2>/dev/null; done | grep -c '^sleep$' || true")).Stdout);
    }

    [Fact]
    public async Task AnEndedProcess_AnswersAttachWithItsExitForAWhile_ButTakesNoSignalsOrStdin()
    {
        await using var sandbox = await SoulBox.CreateSandboxAsync();
        int pid;
        await using (var process = await sandbox.Commands.StartAsync("exit 5"))
        {
            pid = process.Pid;
            Assert.Equal(5, (await process.WaitAsync()).Exit.ExitCode);
        }

        await using var late = await sandbox.Commands.AttachAsync(pid);
        var outcome = await late.WaitAsync();

        Assert.Equal(5, outcome.Exit.ExitCode);
        Assert.Equal("", outcome.Stdout);
        var signal = await Assert.ThrowsAsync<ProcessNotFoundException>(() => sandbox.Commands.SignalAsync(pid, 15));
        Assert.Equal(ErrorCodes.ProcessNotFound, signal.Code);
        await Assert.ThrowsAsync<ProcessNotFoundException>(() => late.SendStdinAsync("x"));
        await Assert.ThrowsAsync<ProcessNotFoundException>(() => sandbox.Commands.AttachAsync(999_999));
        Assert.Empty(await sandbox.Commands.ListAsync());
    }

    [Fact]
    public async Task Stdin_ToAProcessStartedWithoutKeepStdinOpen_IsAValidationError()
    {
        await using var sandbox = await SoulBox.CreateSandboxAsync();
        await using var process = await sandbox.Commands.StartAsync("sleep 120");

        var error = await Assert.ThrowsAsync<SandboxValidationException>(() => process.SendStdinAsync("x"));
        await process.CloseStdinAsync();
        await process.KillAsync();

        Assert.Equal("stdin", error.Field);
        Assert.Equal(ErrorCodes.Validation, error.Code);
    }

    [Fact]
    public async Task BadStarts_AreValidationErrors()
    {
        await using var sandbox = await SoulBox.CreateSandboxAsync();

        var both = await Assert.ThrowsAsync<SandboxValidationException>(() => sandbox.Commands.StartAsync(new ProcessStartRequest { Cmd = "true", Argv = ["true"] }));
        var env = await Assert.ThrowsAsync<SandboxValidationException>(() => sandbox.Commands.StartAsync(new ProcessStartRequest { Cmd = "true", Env = new Dictionary<string, string> { ["1BAD"] = "x" } }));
        var lifetime = await Assert.ThrowsAsync<SandboxValidationException>(() => sandbox.Commands.StartAsync(new ProcessStartRequest { Cmd = "true", LifetimeMs = 0 }));
        var signal = await Assert.ThrowsAsync<SandboxValidationException>(() => sandbox.Commands.SignalAsync(1, 0));

        Assert.Equal("cmd", both.Field);
        Assert.Equal("env", env.Field);
        Assert.Equal("lifetimeMs", lifetime.Field);
        Assert.Equal("signal", signal.Field);
        Assert.Empty(await sandbox.Commands.ListAsync());
    }

    [Fact]
    public async Task AMissingWorkingDirectory_FailsTheStart_AndFreesItsPlace()
    {
        await using var sandbox = await SoulBox.CreateSandboxAsync();

        var error = await Assert.ThrowsAsync<SandboxFileException>(() => sandbox.Commands.StartAsync(new ProcessStartRequest { Cmd = "true", Cwd = "/home/sandbox/missing" }));

        Assert.Equal(ErrorCodes.FileNotFound, error.Code);
        Assert.Empty(await sandbox.Commands.ListAsync());
        await using var next = await sandbox.Commands.StartAsync("echo fine");
        Assert.Equal("fine\n", (await next.WaitAsync()).Stdout);
    }

    [Fact]
    public async Task KillingTheSandbox_EndsAnAttachedStream()
    {
        var sandbox = await SoulBox.CreateSandboxAsync();
        await using var process = await sandbox.Commands.StartAsync("sleep 300");

        var waiting = process.WaitAsync();
        await sandbox.KillAsync();

        await Assert.ThrowsAsync<SandboxKilledException>(() => waiting);
    }

    [Fact]
    public async Task AProcess_DoesNotOutliveItsSandbox()
    {
        var sandbox = await SoulBox.CreateSandboxAsync(new SandboxCreateOptions { TimeoutSeconds = 2 });
        await using var process = await sandbox.Commands.StartAsync("sleep 300");

        // Its lifetime was cut to the sandbox's: the agent's kill (timedOut) or the sandbox's expiry ends it, whichever
        // lands first.
        var ended = await Record.ExceptionAsync(async () => Assert.True((await process.WaitAsync()).Exit.TimedOut));

        Assert.True(ended is null or SandboxExpiredException, $"ended with {ended}");
    }
}
