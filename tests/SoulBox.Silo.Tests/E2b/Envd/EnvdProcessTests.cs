using System.Text;

namespace SoulBox.Silo.Tests.E2b.Envd;

/// <summary>process.Process through the node's E2B router, as the SDK's commands.run/start/connect/kill call it.</summary>
[Collection(SiloCollection.Name)]
public sealed class EnvdProcessTests(SiloFixture silo)
{
    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static string Text(IEnumerable<(byte Flags, JsonElement Message)> frames, string stream) => string.Concat(frames
        .Where(f => f.Flags == 0 && f.Message.GetProperty("event").TryGetProperty("data", out var data) && data.TryGetProperty(stream, out _))
        .Select(f => Encoding.UTF8.GetString(f.Message.GetProperty("event").GetProperty("data").GetProperty(stream).GetBytesFromBase64())));

    private static JsonElement End(List<(byte Flags, JsonElement Message)> frames)
    {
        Assert.Equal(0x02, frames[^1].Flags);
        Assert.Equal("{}", frames[^1].Message.GetRawText());
        return frames[^2].Message.GetProperty("event").GetProperty("end");
    }

    [Fact]
    public async Task Start_StreamsStartOutputAndEnd_WithEnvAndCwd()
    {
        await using var sandbox = await EnvdSandbox.CreateAsync(silo);
        await sandbox.CallAsync("filesystem.Filesystem/MakeDir", "{\"path\":\"work/dir\"}");
        var frames = await sandbox.CollectAsync("process.Process/Start",
            "{\"process\":{\"cmd\":\"/bin/bash\",\"args\":[\"-l\",\"-c\",\"echo $GREETING; pwd; echo oops >&2\"],\"envs\":{\"GREETING\":\"hello\"},\"cwd\":\"work/dir\"},\"stdin\":false}",
            new() { ["Connect-Timeout-Ms"] = "60000", ["Keepalive-Ping-Interval"] = "50" });

        Assert.True(frames[0].Message.GetProperty("event").GetProperty("start").GetProperty("pid").GetInt32() > 0);
        Assert.Equal("hello\n/home/sandbox/work/dir\n", Text(frames, "stdout"));
        Assert.Equal("oops\n", Text(frames, "stderr"));
        var end = End(frames);
        Assert.True(end.GetProperty("exited").GetBoolean());
        Assert.Equal("exit status 0", end.GetProperty("status").GetString());
        Assert.False(end.TryGetProperty("error", out _));
    }

    [Fact]
    public async Task Start_OfAFailingCommand_EndsWithItsExitCodeAndError()
    {
        await using var sandbox = await EnvdSandbox.CreateAsync(silo);
        var frames = await sandbox.CollectAsync("process.Process/Start", "{\"process\":{\"cmd\":\"/bin/bash\",\"args\":[\"-c\",\"exit 3\"]},\"stdin\":false}");
        var end = End(frames);
        Assert.Equal(3, end.GetProperty("exitCode").GetInt32());
        Assert.Equal("exit status 3", end.GetProperty("status").GetString());
        Assert.Equal("exit status 3", end.GetProperty("error").GetString());
    }

    [Fact]
    public async Task ABackgroundProcess_OutlivesItsStream_IsListed_ReattachedFedStdinAndClosed()
    {
        await using var sandbox = await EnvdSandbox.CreateAsync(silo);
        int pid;
        using (var detach = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            var stream = sandbox.StreamAsync("process.Process/Start",
                "{\"process\":{\"cmd\":\"/bin/bash\",\"args\":[\"-c\",\"while read line; do echo got:$line; done; echo bye\"]},\"tag\":\"reader\",\"stdin\":true}",
                cancellationToken: detach.Token).GetAsyncEnumerator(detach.Token);
            Assert.True(await stream.MoveNextAsync());
            pid = stream.Current.Message.GetProperty("event").GetProperty("start").GetProperty("pid").GetInt32();
            await detach.CancelAsync(); // the client goes away: the process must live on
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await stream.MoveNextAsync());
            await stream.DisposeAsync();
        }

        var list = await sandbox.CallAsync("process.Process/List", "{}");
        var listed = Assert.Single(list.GetProperty("processes").EnumerateArray(), p => p.GetProperty("pid").GetInt32() == pid);
        Assert.Equal("reader", listed.GetProperty("tag").GetString());
        Assert.Equal("/bin/bash", listed.GetProperty("config").GetProperty("cmd").GetString());

        var attached = sandbox.CollectAsync("process.Process/Connect", "{\"process\":{\"tag\":\"reader\"}}");
        await Task.Delay(500); // let the attach take effect before the input it should see (output before an attach is not kept)
        await sandbox.CallAsync("process.Process/SendInput", $"{{\"process\":{{\"pid\":{pid}}},\"input\":{{\"stdin\":\"{B64("one\n")}\"}}}}");
        await sandbox.CallAsync("process.Process/CloseStdin", $"{{\"process\":{{\"pid\":{pid}}}}}");
        var frames = await attached;
        Assert.Equal(pid, frames[0].Message.GetProperty("event").GetProperty("start").GetProperty("pid").GetInt32());
        Assert.Equal("got:one\nbye\n", Text(frames, "stdout"));
        Assert.Equal(0, End(frames).TryGetProperty("exitCode", out var code) ? code.GetInt32() : 0);
    }

    [Fact]
    public async Task SendSignal_KillsTheProcess_AndAnUnknownPidIsNotFound()
    {
        await using var sandbox = await EnvdSandbox.CreateAsync(silo);
        var run = sandbox.CollectAsync("process.Process/Start", "{\"process\":{\"cmd\":\"sleep\",\"args\":[\"600\"]},\"stdin\":false}");
        int pid = 0;
        for (var i = 0; i < 100 && pid == 0; i++)
        {
            var list = await sandbox.CallAsync("process.Process/List", "{}");
            pid = list.TryGetProperty("processes", out var processes) && processes.GetArrayLength() > 0 ? processes[0].GetProperty("pid").GetInt32() : 0;
            await Task.Delay(100);
        }

        Assert.NotEqual(0, pid);
        await sandbox.CallAsync("process.Process/SendSignal", $"{{\"process\":{{\"pid\":{pid}}},\"signal\":\"SIGNAL_SIGKILL\"}}");
        var end = End(await run);
        Assert.Equal("signal: killed", end.GetProperty("status").GetString());
        Assert.Equal(-1, end.GetProperty("exitCode").GetInt32());

        var (status, error) = await sandbox.UnaryAsync("process.Process/SendSignal", "{\"process\":{\"pid\":999999},\"signal\":\"SIGNAL_SIGKILL\"}");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("not_found", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task AnIdleStream_GetsKeepalives_AndItsDeadlineEndsItWithDeadlineExceeded()
    {
        await using var sandbox = await EnvdSandbox.CreateAsync(silo);
        var frames = await sandbox.CollectAsync("process.Process/Start", "{\"process\":{\"cmd\":\"sleep\",\"args\":[\"30\"]},\"stdin\":false}",
            new() { ["Connect-Timeout-Ms"] = "3500", ["Keepalive-Ping-Interval"] = "1" });
        Assert.Contains(frames, f => f.Flags == 0 && f.Message.GetProperty("event").TryGetProperty("keepalive", out _));
        Assert.Equal(0x02, frames[^1].Flags);
        Assert.Equal("deadline_exceeded", frames[^1].Message.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task APtyRequest_IsUnimplemented_AndAnUnknownMethodTooAsConnectSays()
    {
        await using var sandbox = await EnvdSandbox.CreateAsync(silo);
        var frames = await sandbox.CollectAsync("process.Process/Start", "{\"process\":{\"cmd\":\"bash\"},\"pty\":{\"size\":{\"cols\":80,\"rows\":24}}}");
        Assert.Equal("unimplemented", Assert.Single(frames).Message.GetProperty("error").GetProperty("code").GetString());

        var (status, body) = await sandbox.UnaryAsync("process.Process/Update", "{}");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("unimplemented", body.GetProperty("code").GetString());
    }
}
