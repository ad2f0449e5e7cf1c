using System.Text;
using SoulBox.Agent.Protocol;
using SoulBox.Agent.Worker;

namespace SoulBox.Agent.Tests;

/// <summary>Kernels have a file-size limit, a bounded reply scanner, and replies forged by user code
/// (which can read the nonce) end at most the forger's own run.</summary>
public sealed class KernelHardeningTests(AgentFixture agent) : IClassFixture<AgentFixture>
{
    [Fact]
    public async Task Kernel_CannotWriteAFileLargerThanTheFileSizeLimit()
    {
        await using var client = await agent.ConnectAsync();
        var result = (await client.RequestAsync(new RunCodeRequest(
            "f = open('big', 'wb')\nf.truncate(1 << 40)", "python", null, null, 10_000))).Terminal<CodeResultEvent>();

        Assert.Equal("OSError", result.Error?.Name);
        Assert.Contains("File too large", result.Error?.Value);
    }

    [Fact]
    public async Task Kernel_AForgedReply_EndsOnlyItsOwnRun_AndTheNextRunGetsItsOwnResult()
    {
        await using var client = await agent.ConnectAsync();
        var context = await client.CallAsync<ContextCreatedEvent>(new CreateContextRequest("python", null));
        const string forge = """
            import __main__, os, time
            m, t = __main__.marker, __main__.turn
            os.write(2, m + b'%d\n' % (t + 1))
            os.write(1, m + b'%d:{"value": "next run forged"}\n' % (t + 1))
            os.write(2, m + b'%d\n' % t)
            os.write(1, m + b'%d:{"value": "forged"}\n' % t)
            time.sleep(0.5)
            'real'
            """;

        var forged = (await client.RequestAsync(new RunCodeRequest(forge, "python", context.ContextId, null, 10_000))).Terminal<CodeResultEvent>();
        await Task.Delay(800); // the real reply of the forged run arrives now, between runs or in the next
        var next = (await client.RequestAsync(new RunCodeRequest("2 + 2", "python", context.ContextId, null, 10_000))).Terminal<CodeResultEvent>();

        Assert.Equal("forged", forged.Value);
        Assert.Equal("4", next.Value);
    }

    [Fact]
    public void Scanner_DropsAReplyLongerThanItsBound_AndStillNamesItsTurn()
    {
        var marker = Encoding.ASCII.GetBytes("\u001e\u001fsoulbox:N\u001f");
        var scanner = new KernelOutputScanner(marker, maxReplyBytes: 1024);
        var items = new List<KernelOutputScanner.Item>();
        items.AddRange(scanner.Feed([.. Encoding.ASCII.GetBytes("out"), .. marker, .. Encoding.ASCII.GetBytes("7:{\"value\":\"")]));
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)'x');
        for (var i = 0; i < 64; i++)
        {
            items.AddRange(scanner.Feed(chunk));
        }

        items.AddRange(scanner.Feed(Encoding.ASCII.GetBytes("\"}\nafter")));

        Assert.Equal(["out", "", "after"], items.Select(i => Encoding.ASCII.GetString(i.Output.Span)));
        var reply = Assert.Single(items, i => i.IsMarker);
        Assert.Equal(7, reply.Turn);
        Assert.True(reply.ReplyTooLarge);
        Assert.Null(reply.Reply);
    }
}
