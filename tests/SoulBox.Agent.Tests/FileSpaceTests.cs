using SoulBox.Agent.Protocol;

namespace SoulBox.Agent.Tests;

public sealed class FileSpaceTests(SmallTmpAgentFixture agent) : IClassFixture<SmallTmpAgentFixture>
{
    [Fact]
    public async Task AWriteToAFullFileSystem_IsNoSpace_NotAnInternalError()
    {
        await using var client = await agent.ConnectAsync();
        var chunk = new byte[64 * 1024];
        ErrorEvent? error = null;
        for (var i = 0; i < SmallTmpAgentFixture.SizeBytes / chunk.Length + 2 && error is null; i++)
        {
            var events = await client.RequestAsync(new WriteFileRequest(Path.Combine(agent.TmpDir, "fill.bin"), Append: i > 0), chunk);
            error = events[^1].Event as ErrorEvent;
        }

        Assert.NotNull(error);
        Assert.Equal(AgentErrorCodes.NoSpace, error.Code);
        Assert.Contains("fill.bin", error.Message);
    }
}
