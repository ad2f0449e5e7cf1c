using System.Text;
using SoulBox.Agent.Protocol;

namespace SoulBox.Agent.Tests;

public sealed class ExecTests(AgentFixture agent) : IClassFixture<AgentFixture>
{
    [Fact]
    public async Task Exec_HelloWorld_StreamsStdoutAndReportsTheExitCode()
    {
        await using var client = await agent.ConnectAsync();
        var events = await client.RequestAsync(Events.Shell("echo hello world; echo oops >&2; exit 3"));
        var exit = events.Terminal<ExitEvent>();
        Assert.Equal("hello world\n", events.Stdout());
        Assert.Equal("oops\n", events.Stderr());
        Assert.Equal(3, exit.ExitCode);
        Assert.Null(exit.Signal);
        Assert.False(exit.TimedOut);
        Assert.True(exit.WallTimeMs > 0);
        Assert.True(exit.PeakMemoryBytes > 0);
    }

    [Fact]
    public async Task Exec_RunsAsTheSandboxUser_InTheWorkDirectory_WithACleanEnvironment()
    {
        await using var client = await agent.ConnectAsync();
        var request = Events.Shell("id -u; id -g; pwd; echo $HOME $LANG $USER $EXTRA; env | grep -c DOTNET || true") with
        {
            Env = new Dictionary<string, string> { ["EXTRA"] = "x1" },
        };
        var events = await client.RequestAsync(request);
        var lines = events.Stdout().Split('\n');
        Assert.Equal(agent.Uid.ToString(), lines[0]);
        Assert.Equal(agent.Uid.ToString(), lines[1]);
        Assert.Equal(agent.WorkDir, lines[2]);
        Assert.Equal($"{agent.WorkDir} C.UTF-8 sandbox x1", lines[3]);
        Assert.Equal("0", lines[4]);
    }

    [Fact]
    public async Task Exec_PayloadIsWrittenToStdin_ThenStdinIsClosed()
    {
        await using var client = await agent.ConnectAsync();
        var events = await client.RequestAsync(Events.Argv("cat"), Encoding.UTF8.GetBytes("from stdin\n"));
        Assert.Equal("from stdin\n", events.Stdout());
        Assert.Equal(0, events.Terminal<ExitEvent>().ExitCode);
    }

    [Fact]
    public async Task Exec_WithKeepStdinOpen_TakesMoreInputFromStdinRequests()
    {
        await using var client = await agent.ConnectAsync();
        var (id, events) = await client.SendAsync(Events.Argv("cat") with { KeepStdinOpen = true }, Encoding.UTF8.GetBytes("one\n"));
        await client.CallAsync<OkEvent>(new StdinRequest(id, false), Encoding.UTF8.GetBytes("two\n"));
        await client.CallAsync<OkEvent>(new StdinRequest(id, true), Encoding.UTF8.GetBytes("three\n"));
        var received = await AgentClient.CollectAsync(events, "cat");
        Assert.Equal("one\ntwo\nthree\n", received.Stdout());
        Assert.Equal(0, received.Terminal<ExitEvent>().ExitCode);
    }

    [Fact]
    public async Task Exec_StdinChunksThatWaitUntilWritten_StreamAnInputPastTheFrameLimit()
    {
        await using var client = await agent.ConnectAsync();
        var chunk = new byte[AgentProtocol.MaxPayloadChunkBytes];
        var (id, events) = await client.SendAsync(Events.Argv("wc", "-c") with { KeepStdinOpen = true }, chunk);
        for (var i = 1; i < 10; i++)
        {
            await client.CallAsync<OkEvent>(new StdinRequest(id, Close: i == 9) { WaitWritten = true }, chunk);
        }

        var received = await AgentClient.CollectAsync(events, "wc");
        Assert.Equal($"{10 * AgentProtocol.MaxPayloadChunkBytes}\n", received.Stdout());
        Assert.Equal(0, received.Terminal<ExitEvent>().ExitCode);
    }

    [Fact]
    public async Task Exec_AStdinChunkThatWaitsForAProgramThatNeverReads_IsAnsweredWhenTheProgramEnds()
    {
        await using var client = await agent.ConnectAsync();
        var (id, events) = await client.SendAsync(Events.Argv("sleep", "0.5") with { KeepStdinOpen = true });

        // Far more than a pipe holds: the write cannot finish while sleep runs, and must not hang once it is gone.
        await client.CallAsync<OkEvent>(new StdinRequest(id, Close: false) { WaitWritten = true }, new byte[AgentProtocol.MaxPayloadChunkBytes]);

        var received = await AgentClient.CollectAsync(events, "sleep");
        Assert.Equal(0, received.Terminal<ExitEvent>().ExitCode);
    }

    [Fact]
    public async Task Exec_Argv_IsPassedVerbatim_WhileShellIsInterpreted()
    {
        await using var client = await agent.ConnectAsync();
        var argv = await client.RequestAsync(Events.Argv("echo", "$HOME", "a  b", "*"));
        Assert.Equal("$HOME a  b *\n", argv.Stdout());
        var shell = await client.RequestAsync(Events.Shell("echo $USER | tr a-z A-Z"));
        Assert.Equal("SANDBOX\n", shell.Stdout());
    }

    [Fact]
    public async Task Exec_KilledBySignal_ReportsTheSignalAndNoExitCode()
    {
        await using var client = await agent.ConnectAsync();
        var exit = (await client.RequestAsync(Events.Shell("kill -9 $$"))).Terminal<ExitEvent>();
        Assert.Null(exit.ExitCode);
        Assert.Equal(9, exit.Signal);
    }

    [Fact]
    public async Task Exec_OfAMissingProgram_Exits127WithAMessage()
    {
        await using var client = await agent.ConnectAsync();
        var events = await client.RequestAsync(Events.Argv("no-such-program-xyz"));
        Assert.Equal(127, events.Terminal<ExitEvent>().ExitCode);
        Assert.Contains("no-such-program-xyz", events.Stderr());
    }

    [Fact]
    public async Task Exec_Timeout_KillsTheWholeProcessTree()
    {
        await using var client = await agent.ConnectAsync();
        // A background child in the same session, and one that left it with setsid.
        var events = await client.RequestAsync(Events.Shell("sleep 1000 & setsid sleep 1001 & echo started; sleep 1002", timeoutMs: 500));
        var exit = events.Terminal<ExitEvent>();
        Assert.True(exit.TimedOut);
        Assert.Equal(9, exit.Signal);
        Assert.InRange(exit.WallTimeMs, 400, 5000);
        Assert.Equal("started\n", events.Stdout());
        Assert.Empty(await ProcessesOfAsync(agent.Uid));
    }

    [Fact]
    public async Task Exec_BackgroundJobsLeftAfterExit_AreKilled_AndTheExitIsNotDelayed()
    {
        await using var client = await agent.ConnectAsync();
        var events = await client.RequestAsync(Events.Shell("sleep 1000 & setsid sleep 1001 & (setsid sh -c 'sleep 1002 & sleep 1003' &); echo done"));
        var exit = events.Terminal<ExitEvent>();
        Assert.Equal(0, exit.ExitCode);
        Assert.True(exit.WallTimeMs < 2000, $"wall time {exit.WallTimeMs} ms");
        Assert.Empty(await ProcessesOfAsync(agent.Uid));
    }

    [Fact]
    public async Task Exec_Cancel_KillsTheProcessAndEndsWithCancelled()
    {
        await using var client = await agent.ConnectAsync();
        var (id, events) = await client.SendAsync(Events.Shell("echo ready; sleep 1000"));
        var first = await events.ReadAsync();
        Assert.Equal("ready\n", Encoding.UTF8.GetString(first.Payload));
        await client.CallAsync<OkEvent>(new CancelRequest(id));
        var exit = (await AgentClient.CollectAsync(events, "cancelled exec")).Terminal<ExitEvent>();
        Assert.True(exit.Cancelled);
        Assert.False(exit.TimedOut);
        Assert.Equal(9, exit.Signal);
    }

    [Fact]
    public async Task Exec_OutputPastTheCap_IsDroppedAndFlagged_AndTheRunIsKilledThere()
    {
        // Past its cap a run is ended (as Piston and Judge0 do): the rest would only be dropped, and a flood would
        // otherwise burn CPU until its timeout.
        await using var client = await agent.ConnectAsync();
        var events = await client.RequestAsync(Events.Shell("yes; echo tail >&2", maxOutput: 1000, timeoutMs: 20_000));
        var exit = events.Terminal<ExitEvent>();
        Assert.Null(exit.ExitCode);
        Assert.Equal(9, exit.Signal);
        Assert.False(exit.TimedOut);
        Assert.True(exit.StdoutTruncated);
        Assert.False(exit.StderrTruncated);
        Assert.True(exit.WallTimeMs < 10_000, $"the flood ran {exit.WallTimeMs} ms");
        Assert.Equal(1000, events.Where(e => e.Event is OutputEvent { Stream: OutputStream.Stdout }).Sum(e => e.Payload.Length));
        Assert.Equal("", events.Stderr());
    }

    [Fact]
    public async Task Exec_StreamsOutputChunksAsTheyArrive_BeforeTheExit()
    {
        await using var client = await agent.ConnectAsync();
        var events = await client.RequestAsync(Events.Shell("for i in 1 2 3; do echo $i; sleep 0.2; done"));
        var outputs = events.Where(e => e.Event is OutputEvent).ToList();
        Assert.Equal(3, outputs.Count);
        Assert.Equal("1\n2\n3\n", events.Stdout());
        Assert.True(outputs[1].At - outputs[0].At > TimeSpan.FromMilliseconds(100));
        Assert.True(events[^1].At - outputs[0].At > TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task Exec_ForkBomb_WithAProcessLimit_StillEndsWithAnExit()
    {
        await using var client = await agent.ConnectAsync();
        var request = Events.Shell("f() { f | f & }; f; sleep 1", timeoutMs: 3000) with
        {
            Limits = new ExecLimits { TimeoutMs = 3000, MaxProcesses = 50 },
        };
        var exit = (await client.RequestAsync(request, timeoutSeconds: 60)).Terminal<ExitEvent>();
        Assert.True(exit.WallTimeMs < 30_000);
        Assert.Empty(await ProcessesOfAsync(agent.Uid));
    }

    [Fact]
    public async Task Exec_WithBothArgvAndShell_IsABadRequest()
    {
        await using var client = await agent.ConnectAsync();
        var error = await client.CallAsync<ErrorEvent>(new ExecRequest { Argv = ["true"], Shell = "true", Limits = new ExecLimits() });
        Assert.Equal(AgentErrorCodes.BadRequest, error.Code);
    }

    [Fact]
    public async Task Exec_CwdOutsideTheSandbox_IsAPathEscape()
    {
        await using var client = await agent.ConnectAsync();
        var error = await client.CallAsync<ErrorEvent>(Events.Argv("pwd") with { Cwd = "/etc" });
        Assert.Equal(AgentErrorCodes.PathEscape, error.Code);
    }

    internal static async Task<List<int>> ProcessesOfAsync(int uid)
    {
        // Give just-killed processes a moment to be reaped by their parent.
        for (var attempt = 0; ; attempt++)
        {
            var pids = new List<int>();
            foreach (var directory in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(directory), out var pid))
                {
                    continue;
                }

                try
                {
                    var status = await File.ReadAllLinesAsync(Path.Combine(directory, "status"));
                    var uidLine = status.First(l => l.StartsWith("Uid:", StringComparison.Ordinal));
                    var state = status.First(l => l.StartsWith("State:", StringComparison.Ordinal));
                    if (uidLine.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == uid.ToString() && !state.Contains('Z'))
                    {
                        pids.Add(pid);
                    }
                }
                catch (IOException)
                {
                }
            }

            if (pids.Count == 0 || attempt >= 20)
            {
                return pids;
            }

            await Task.Delay(50);
        }
    }
}
