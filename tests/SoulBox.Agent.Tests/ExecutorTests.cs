using SoulBox.Agent.Protocol;

namespace SoulBox.Agent.Tests;

/// <summary>An agent in one-shot executor mode kills runs with soulbox-exec killuser.</summary>
public sealed class ExecutorTests(ExecutorAgentFixture agent) : IClassFixture<ExecutorAgentFixture>
{
    [Fact]
    public async Task Exec_Timeout_KillsAForkChaser_AndEndsAsTimedOut()
    {
        await using var client = await agent.ConnectAsync();
        var events = await client.RequestAsync(Events.Shell($"{HostileProcesses.ForkChaser} & sleep 1000", timeoutMs: 500), timeoutSeconds: 15);

        var exit = events.Terminal<ExitEvent>();
        Assert.True(exit.TimedOut);
        Assert.Equal(0, HostileProcesses.CountLive(agent.Uid));
    }

    [Fact]
    public async Task Exec_Cancel_KillsEverythingOfTheRun()
    {
        await using var client = await agent.ConnectAsync();
        var (id, events) = await client.SendAsync(Events.Shell("setsid sleep 1000 > /dev/null 2>&1 < /dev/null & echo ready; wait"));
        await events.ReadAsync();
        await client.CallAsync<OkEvent>(new CancelRequest(id));

        var exit = (await AgentClient.CollectAsync(events, "cancelled exec")).Terminal<ExitEvent>();
        Assert.True(exit.Cancelled);
        Assert.Equal(0, HostileProcesses.CountLive(agent.Uid));
    }
}
