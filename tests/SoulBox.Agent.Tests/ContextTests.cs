using SoulBox.Agent.Protocol;

namespace SoulBox.Agent.Tests;

/// <summary>Code contexts: a working directory at create, the agent's list (the truth after a silo reconnects), and
/// restart under the same id.</summary>
public sealed class ContextTests(AgentFixture agent) : IClassFixture<AgentFixture>
{
    private static RunCodeRequest Python(string code, string? contextId = null) => new(code, "python", contextId, null, 10_000);

    [Fact]
    public async Task Create_WithACwd_RunsTheKernelThere_AndSaysSo()
    {
        await using var client = await agent.ConnectAsync();
        await client.CallAsync<OkEvent>(new MakeDirectoryRequest("project/src"));
        var created = await client.CallAsync<ContextCreatedEvent>(new CreateContextRequest("python", "project/src"));
        var expected = Path.Combine(agent.WorkDir, "project", "src");
        Assert.Equal(expected, created.Cwd);
        Assert.Equal($"'{expected}'", (await client.RequestAsync(Python("import os\nos.getcwd()", created.ContextId))).Terminal<CodeResultEvent>().Value);

        var node = await client.CallAsync<ContextCreatedEvent>(new CreateContextRequest("javascript", expected));
        Assert.Equal($"'{expected}'", (await client.RequestAsync(new RunCodeRequest("process.cwd()", "javascript", node.ContextId, null, 10_000))).Terminal<CodeResultEvent>().Value);

        var missing = await client.CallAsync<ErrorEvent>(new CreateContextRequest("python", "no/such/dir"));
        Assert.Equal(AgentErrorCodes.NotFound, missing.Code);
    }

    [Fact]
    public async Task List_HasCreatedContexts_AndDefaultOnesOnceUsed()
    {
        await using var client = await agent.ConnectAsync();
        var created = await client.CallAsync<ContextCreatedEvent>(new CreateContextRequest("python", null));
        var before = await client.CallAsync<ContextListEvent>(new ListContextsRequest());
        Assert.Contains(before.Contexts, c => c.ContextId == created.ContextId && c.Language == "python" && c.Cwd == agent.WorkDir);

        await client.RequestAsync(new RunCodeRequest("1", "javascript", null, null, 10_000));
        var after = await client.CallAsync<ContextListEvent>(new ListContextsRequest());
        Assert.Contains(after.Contexts, c => c.ContextId == "default-javascript" && c.Language == "javascript" && c.Cwd == agent.WorkDir);

        await client.CallAsync<OkEvent>(new DeleteContextRequest(created.ContextId));
        var deleted = await client.CallAsync<ContextListEvent>(new ListContextsRequest());
        Assert.DoesNotContain(deleted.Contexts, c => c.ContextId == created.ContextId);
    }

    [Fact]
    public async Task Restart_KeepsTheIdAndCwd_AndDropsTheState()
    {
        await using var client = await agent.ConnectAsync();
        await client.CallAsync<OkEvent>(new MakeDirectoryRequest("restart-here"));
        var created = await client.CallAsync<ContextCreatedEvent>(new CreateContextRequest("python", "restart-here"));
        await client.RequestAsync(Python("kept = 42", created.ContextId));
        Assert.Equal("42", (await client.RequestAsync(Python("kept", created.ContextId))).Terminal<CodeResultEvent>().Value);

        var restarted = await client.CallAsync<ContextCreatedEvent>(new RestartContextRequest(created.ContextId));
        Assert.Equal(created.ContextId, restarted.ContextId);
        Assert.Equal(created.Cwd, restarted.Cwd);
        var gone = (await client.RequestAsync(Python("kept", created.ContextId))).Terminal<CodeResultEvent>();
        Assert.Equal("NameError", gone.Error?.Name);
        Assert.Equal($"'{created.Cwd}'", (await client.RequestAsync(Python("import os\nos.getcwd()", created.ContextId))).Terminal<CodeResultEvent>().Value);

        var unknown = await client.CallAsync<ErrorEvent>(new RestartContextRequest("ctx-nope"));
        Assert.Equal(AgentErrorCodes.ContextNotFound, unknown.Code);
    }

    [Fact]
    public async Task Restart_DuringALongRun_KillsItAtOnce()
    {
        await using var client = await agent.ConnectAsync();
        var created = await client.CallAsync<ContextCreatedEvent>(new CreateContextRequest("python", null));
        await client.RequestAsync(Python("state = 1", created.ContextId));
        var (_, running) = await client.SendAsync(new RunCodeRequest("import time\nprint('started', flush=True)\ntime.sleep(60)", "python", created.ContextId, null, 120_000));
        var first = await running.ReadAsync();
        Assert.IsType<OutputEvent>(first.Event);

        var restarted = await client.CallAsync<ContextCreatedEvent>(new RestartContextRequest(created.ContextId), timeoutSeconds: 20);
        Assert.Equal(created.ContextId, restarted.ContextId);
        var ended = await AgentClient.CollectAsync(running, "the run the restart killed", 20);
        Assert.Equal("KernelDiedError", ended.Terminal<CodeResultEvent>().Error?.Name);
        Assert.Equal("NameError", (await client.RequestAsync(Python("state", created.ContextId))).Terminal<CodeResultEvent>().Error?.Name);
    }
}
