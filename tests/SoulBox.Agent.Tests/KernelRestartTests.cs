using SoulBox.Agent.Protocol;

namespace SoulBox.Agent.Tests;

/// <summary>Kills every process of the sandbox user, so it has an agent (and kernels) of its own.</summary>
public sealed class KernelRestartTests(AgentFixture agent) : IClassFixture<AgentFixture>
{
    [Fact]
    public async Task Python_KernelKilledBetweenRuns_IsStartedAgainForTheNextRun()
    {
        await using var client = await agent.ConnectAsync();
        var context = await client.CallAsync<ContextCreatedEvent>(new CreateContextRequest("python", null));
        await client.RequestAsync(new RunCodeRequest("x = 1", "python", context.ContextId, null, 10_000));

        // User code may kill every process its user owns, the idle kernel included.
        await client.RequestAsync(Events.Shell("kill -9 -1; kill -9 $$"));
        var next = await client.RequestAsync(new RunCodeRequest("print('back')", "python", context.ContextId, null, 10_000));

        Assert.Equal("back\n", next.Stdout());
        Assert.Null(next.Terminal<CodeResultEvent>().Error);
    }
}
