using System.Text;
using SoulBox.Agent.Protocol;

namespace SoulBox.Agent.Tests;

public sealed class ResetTests(AgentFixture agent) : IClassFixture<AgentFixture>
{
    [Fact]
    public async Task Reset_KillsEveryProcessOfTheSandboxUser_StopsKernels_AndEmptiesWorkAndTmp()
    {
        await using var client = await agent.ConnectAsync();
        await client.CallAsync<FileStatEvent>(new WriteFileRequest("keep/me.txt", false), Encoding.UTF8.GetBytes("x"));
        await client.CallAsync<FileStatEvent>(new WriteFileRequest(Path.Combine(agent.TmpDir, "t.txt"), false), Encoding.UTF8.GetBytes("y"));
        // A daemon that escaped its exec (setsid, output detached) and a running kernel.
        await client.RequestAsync(Events.Shell("setsid sleep 1000 > /dev/null 2>&1 < /dev/null & echo ok"));
        var context = await client.CallAsync<ContextCreatedEvent>(new CreateContextRequest("python", null));
        Assert.NotEmpty(await ExecTests.ProcessesOfAsync(agent.Uid));

        await client.CallAsync<OkEvent>(new ResetRequest());

        Assert.Empty(await ExecTests.ProcessesOfAsync(agent.Uid));
        Assert.Empty(Directory.EnumerateFileSystemEntries(agent.WorkDir));
        Assert.Empty(Directory.EnumerateFileSystemEntries(agent.TmpDir));
        Assert.True(Directory.Exists(agent.WorkDir));
        Assert.Equal(AgentErrorCodes.ContextNotFound,
            (await client.CallAsync<ErrorEvent>(new RunCodeRequest("1", "python", context.ContextId, null, 5000))).Code);

        // The sandbox is usable again right away.
        var exec = await client.RequestAsync(Events.Shell("echo again"));
        Assert.Equal("again\n", exec.Stdout());
    }

    [Fact]
    public async Task Stats_AnswersWithoutFailing()
    {
        await using var client = await agent.ConnectAsync();
        var stats = await client.CallAsync<StatsEvent>(new StatsRequest());
        Assert.True(stats.MemoryBytes >= 0);
        Assert.True(stats.CpuTimeMs >= 0);
    }
}
