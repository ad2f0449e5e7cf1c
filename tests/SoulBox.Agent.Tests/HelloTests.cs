using SoulBox.Agent.Protocol;

namespace SoulBox.Agent.Tests;

public sealed class HelloTests(AgentFixture agent) : IClassFixture<AgentFixture>
{
    [Fact]
    public async Task Hello_AnswersWithProtocolVersionAndPid()
    {
        await using var client = await agent.ConnectAsync(hello: false);
        var hello = await client.CallAsync<HelloEvent>(new HelloRequest(AgentProtocol.Version));
        Assert.Equal(AgentProtocol.Version, hello.ProtocolVersion);
        Assert.True(hello.Pid > 0);
        Assert.False(string.IsNullOrEmpty(hello.AgentVersion));
    }

    [Fact]
    public async Task Hello_WithAnotherVersion_IsRejectedAndTheConnectionClosed()
    {
        await using var client = await agent.ConnectAsync(hello: false);
        var error = await client.CallAsync<ErrorEvent>(new HelloRequest(AgentProtocol.Version + 41));
        Assert.Equal(AgentErrorCodes.VersionMismatch, error.Code);
        await client.Closed.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task ARequestBeforeHello_IsRejectedAsVersionMismatch()
    {
        await using var client = await agent.ConnectAsync(hello: false);
        var error = await client.CallAsync<ErrorEvent>(new StatsRequest());
        Assert.Equal(AgentErrorCodes.VersionMismatch, error.Code);
        await client.Closed.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task AnUnknownRequestType_GetsBadRequest_AndTheConnectionKeepsWorking()
    {
        await using var client = await agent.ConnectAsync();
        var replies = client.Expect(777);
        var header = """{"type":"teleport","id":777}"""u8.ToArray();
        var frame = new byte[8 + header.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)(4 + header.Length));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), (uint)header.Length);
        header.CopyTo(frame, 8);
        await client.SendBytesAsync(frame);
        var events = await AgentClient.CollectAsync(replies, "bad request");
        Assert.Equal(AgentErrorCodes.BadRequest, events.Terminal<ErrorEvent>().Code);

        var stats = await client.CallAsync<StatsEvent>(new StatsRequest());
        Assert.True(stats.Processes >= 0);
    }

    [Fact]
    public async Task SeveralConnections_AreServedAtOnce()
    {
        await using var first = await agent.ConnectAsync();
        await using var second = await agent.ConnectAsync();
        var slow = first.RequestAsync(Events.Shell("sleep 0.5; echo slow"));
        var fast = await second.RequestAsync(Events.Shell("echo fast"));
        Assert.Equal("fast\n", fast.Stdout());
        Assert.False(slow.IsCompleted);
        Assert.Equal("slow\n", (await slow).Stdout());
    }
}
