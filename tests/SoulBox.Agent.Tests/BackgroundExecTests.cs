using System.Text;
using SoulBox.Agent.Protocol;

namespace SoulBox.Agent.Tests;

/// <summary>What background processes need from an exec: its pid at once, and signals to its process group.</summary>
public sealed class BackgroundExecTests(AgentFixture agent) : IClassFixture<AgentFixture>
{
    [Fact]
    public async Task Exec_WithReportPid_SendsStartedWithThePidBeforeAnyOutput()
    {
        await using var client = await agent.ConnectAsync();
        var events = await client.RequestAsync(Events.Shell("echo $$") with { ReportPid = true });
        var started = Assert.IsType<ExecStartedEvent>(events[0].Event);
        Assert.True(started.Pid > 0);
        // The shell's own pid: the program is the process group leader whose pid was reported.
        Assert.Equal($"{started.Pid}\n", events.Stdout());
        Assert.Single(events, e => e.Event is ExecStartedEvent);
        Assert.Equal(0, events.Terminal<ExitEvent>().ExitCode);
    }

    [Fact]
    public async Task Exec_WithoutReportPid_SendsNoStartedEvent()
    {
        await using var client = await agent.ConnectAsync();
        var events = await client.RequestAsync(Events.Shell("echo hi"));
        Assert.DoesNotContain(events, e => e.Event is ExecStartedEvent);
    }

    [Theory]
    [InlineData(15)]
    [InlineData(9)]
    [InlineData(2)]
    [InlineData(1)]
    public async Task Signal_EndsARunningExec_WithThatSignal(int signal)
    {
        await using var client = await agent.ConnectAsync();
        var (id, events) = await client.SendAsync(Events.Argv("sleep", "30") with { ReportPid = true });
        Assert.IsType<ExecStartedEvent>((await events.ReadAsync()).Event);
        await client.CallAsync<OkEvent>(new SignalRequest(id, signal));
        var exit = (await AgentClient.CollectAsync(events, "sleep")).Terminal<ExitEvent>();
        Assert.Null(exit.ExitCode);
        Assert.Equal(signal, exit.Signal);
        Assert.False(exit.TimedOut);
    }

    [Fact]
    public async Task Signal_SentTheMomentStartedArrives_ReachesTheProgram()
    {
        // The pid is reported only once the program leads its own session: a signal right behind Started must not
        // find the group missing (the helper writes the pid before the child's setsid).
        await using var client = await agent.ConnectAsync();
        for (var i = 0; i < 20; i++)
        {
            var (id, events) = await client.SendAsync(Events.Argv("sleep", "30") with { ReportPid = true });
            Assert.IsType<ExecStartedEvent>((await events.ReadAsync()).Event);
            await client.CallAsync<OkEvent>(new SignalRequest(id, 9));
            Assert.Equal(9, (await AgentClient.CollectAsync(events, "sleep")).Terminal<ExitEvent>().Signal);
        }
    }

    [Fact]
    public async Task Signal_ReachesTheWholeProcessGroup_AProgramThatTrapsItCanExitCleanly()
    {
        await using var client = await agent.ConnectAsync();
        var (id, events) = await client.SendAsync(Events.Shell("trap 'echo bye; exit 7' TERM; echo ready; while true; do sleep 0.05; done", timeoutMs: 30_000) with { ReportPid = true });
        Assert.IsType<ExecStartedEvent>((await events.ReadAsync()).Event);
        var ready = await events.ReadAsync();
        Assert.Equal("ready\n", Encoding.UTF8.GetString(ready.Payload));
        await client.CallAsync<OkEvent>(new SignalRequest(id, 15));
        var rest = await AgentClient.CollectAsync(events, "trap");
        Assert.Equal("bye\n", rest.Stdout());
        Assert.Equal(7, rest.Terminal<ExitEvent>().ExitCode);
    }

    [Fact]
    public async Task Signal_ToAnUnknownOrEndedExec_IsNotFound()
    {
        await using var client = await agent.ConnectAsync();
        var (id, events) = await client.SendAsync(Events.Shell("true") with { ReportPid = true });
        await AgentClient.CollectAsync(events, "true");
        var error = await client.CallAsync<ErrorEvent>(new SignalRequest(id, 15));
        Assert.Equal(AgentErrorCodes.NotFound, error.Code);
        var unknown = await client.CallAsync<ErrorEvent>(new SignalRequest(999_999, 15));
        Assert.Equal(AgentErrorCodes.NotFound, unknown.Code);
    }

    [Fact]
    public async Task Signal_OutOfRange_IsABadRequest()
    {
        await using var client = await agent.ConnectAsync();
        var (id, events) = await client.SendAsync(Events.Argv("sleep", "30") with { ReportPid = true });
        await events.ReadAsync();
        Assert.Equal(AgentErrorCodes.BadRequest, (await client.CallAsync<ErrorEvent>(new SignalRequest(id, 0))).Code);
        Assert.Equal(AgentErrorCodes.BadRequest, (await client.CallAsync<ErrorEvent>(new SignalRequest(id, 65))).Code);
        await client.CallAsync<OkEvent>(new SignalRequest(id, 9));
        Assert.Equal(9, (await AgentClient.CollectAsync(events, "sleep")).Terminal<ExitEvent>().Signal);
    }
}
