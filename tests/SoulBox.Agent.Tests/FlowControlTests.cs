using System.Threading.Channels;
using SoulBox.Agent.Protocol;

namespace SoulBox.Agent.Tests;

/// <summary>Credit-based flow control against the real agent: a request stops at its window until the client hands
/// credit back, other requests on the same connection keep flowing meanwhile, and cancellation or a run's timeout
/// ends a request that waits for credit.</summary>
public sealed class FlowControlTests(AgentFixture agent) : IClassFixture<AgentFixture>
{
    private const int TenMiB = 10 * 1024 * 1024;

    [Fact]
    public async Task ACommandWithoutCredit_StopsAtItsWindow_AndFinishesOnceCreditComes()
    {
        await using var client = await agent.ConnectAsync();
        client.AutoCredit = false;
        var (id, events) = await client.SendAsync(Events.Shell($"head -c {TenMiB} /dev/zero; echo done >&2", timeoutMs: 60_000, maxOutput: 2L * TenMiB));

        var first = await TakeUntilQuietAsync(events, TimeSpan.FromSeconds(1));
        var bytes = first.Sum(r => r.Payload.Length);
        Assert.DoesNotContain(first, r => r.Event.IsTerminal);
        Assert.InRange(first.Sum(r => AgentProtocol.CreditCost(r.Payload.Length)), 1, AgentProtocol.CreditWindowBytes);

        var all = new List<Received>(first);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!all[^1].Event.IsTerminal)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the command did not finish with credit; got {all.Sum(r => r.Payload.Length)} bytes");
            await client.GrantAsync(id, AgentProtocol.CreditWindowBytes);
            all.AddRange(await TakeUntilQuietAsync(events, TimeSpan.FromMilliseconds(100)));
        }

        Assert.Equal(TenMiB, all.Where(r => r.Event is OutputEvent { Stream: OutputStream.Stdout }).Sum(r => r.Payload.Length));
        Assert.Equal("done\n", all.Stderr());
        Assert.Equal(0, all.Terminal<ExitEvent>().ExitCode);
    }

    [Fact]
    public async Task CodeRunsFillingTheWindowOnBothStreams_EndWithEverything_WhenCreditComesOnlyAsOutputIsRead()
    {
        // A run's last stdout chunk read together with its end is sent unflushed (the result follows it); with the
        // window nearly spent, stderr output waiting for credit must not wait for that chunk to be read.
        await using var client = await agent.ConnectAsync();
        foreach (var (stderr, stdout) in new[] { (1_000_000, 1_000_000), (1_040_000, 1_040_000), (600_000, 1_048_000), (1_048_000, 3) })
        {
            var code = $"import sys\nsys.stderr.write('e' * {stderr})\nsys.stderr.flush()\nsys.stdout.write('o' * {stdout})";
            var events = await client.RequestAsync(new RunCodeRequest(code, "python", null, null, 30_000), timeoutSeconds: 20);

            Assert.Null(events.Terminal<CodeResultEvent>().Error);
            Assert.Equal(stdout, events.Stdout().Length);
            Assert.Equal(stderr, events.Stderr().Length);
        }
    }

    [Fact]
    public async Task ARequestWaitingForCredit_DoesNotHoldUpOthersOnTheConnection()
    {
        await using var client = await agent.ConnectAsync();
        client.AutoCredit = false;
        var (id, stalled) = await client.SendAsync(Events.Shell("cat /dev/zero", timeoutMs: 60_000, maxOutput: long.MaxValue));
        await TakeUntilQuietAsync(stalled, TimeSpan.FromMilliseconds(500));

        for (var i = 0; i < 5; i++)
        {
            var echo = await client.RequestAsync(Events.Shell($"echo {i}"), timeoutSeconds: 10);
            Assert.Equal($"{i}\n", echo.Stdout());
            await client.CallAsync<StatsEvent>(new StatsRequest(), timeoutSeconds: 10);
        }

        await client.CallAsync<OkEvent>(new CancelRequest(id));
        var rest = await AgentClient.CollectAsync(stalled, "the cancelled cat", timeoutSeconds: 10);
        Assert.True(rest.Terminal<ExitEvent>().Cancelled);
    }

    [Fact]
    public async Task ARunThatTimesOutWhileWaitingForCredit_IsKilledAndReportsItsTimeout()
    {
        await using var client = await agent.ConnectAsync();
        client.AutoCredit = false;
        var started = client.Now;
        var (_, events) = await client.SendAsync(Events.Shell("cat /dev/zero", timeoutMs: 1_000, maxOutput: long.MaxValue));

        var received = await AgentClient.CollectAsync(events, "a cat that times out", timeoutSeconds: 15);
        Assert.True(received.Terminal<ExitEvent>().TimedOut);
        Assert.True(client.Now - started < TimeSpan.FromSeconds(10), $"took {client.Now - started}");
        Assert.InRange(received.Where(r => !r.Event.IsTerminal).Sum(r => AgentProtocol.CreditCost(r.Payload.Length)), 0, AgentProtocol.CreditWindowBytes);
    }

    [Fact]
    public async Task AFileReadWithoutCredit_SendsAtMostItsWindow_AndEndsWhenCancelled()
    {
        var path = Path.Combine(agent.WorkDir, $"big-{Guid.NewGuid():N}.bin");
        await using (var file = File.Create(path))
        {
            file.SetLength(64L * 1024 * 1024); // sparse: reading it costs nothing but the copy
        }

        await using var client = await agent.ConnectAsync();
        client.AutoCredit = false;
        var (id, events) = await client.SendAsync(new ReadFileRequest(Path.GetFileName(path)));
        var first = await TakeUntilQuietAsync(events, TimeSpan.FromSeconds(1));
        Assert.InRange(first.Sum(r => AgentProtocol.CreditCost(r.Payload.Length)), 1, AgentProtocol.CreditWindowBytes);

        await client.CallAsync<OkEvent>(new CancelRequest(id));
        var rest = await AgentClient.CollectAsync(events, "the cancelled read", timeoutSeconds: 10);
        Assert.Equal(AgentErrorCodes.Cancelled, rest.Terminal<ErrorEvent>().Code);
        File.Delete(path);
    }

    /// <summary>Events that arrive until none has come for <paramref name="quiet"/>.</summary>
    private static async Task<List<Received>> TakeUntilQuietAsync(ChannelReader<Received> events, TimeSpan quiet)
    {
        var list = new List<Received>();
        while (true)
        {
            using var wait = new CancellationTokenSource(quiet);
            try
            {
                if (!await events.WaitToReadAsync(wait.Token))
                {
                    return list;
                }
            }
            catch (OperationCanceledException)
            {
                return list;
            }

            while (events.TryRead(out var received))
            {
                list.Add(received);
                if (received.Event.IsTerminal)
                {
                    return list;
                }
            }
        }
    }
}
