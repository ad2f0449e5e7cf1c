using System.Diagnostics;
using SoulBox.Cluster.Tests.Harness;
using Xunit.Abstractions;

namespace SoulBox.Cluster.Tests.Faults;

/// <summary>The membership Redis (AOF on) stopped and started again while callers run code in every sandbox: Redis only
/// holds membership, so sandboxes keep answering throughout, nothing is lost, and once Redis is back the cluster takes
/// new sandboxes and new silos again.</summary>
[Collection(ClusterSuite.Name)]
public sealed class RedisRestartTests(ITestOutputHelper output)
{
    private static readonly TimeSpan RedisDown = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task RedisRestartedUnderLoad_SandboxesKeepAnswering_AndMembershipRecovers()
    {
        await using var cluster = new ClusterProcesses(output);
        await cluster.RunAsync(async () =>
        {
            var redis = await cluster.StartRedisAsync();
            var starts = new[] { cluster.StartGatewayAsync("gw"), cluster.StartWorkerAsync("w1"), cluster.StartWorkerAsync("w2") };
            await Task.WhenAll(starts);
            var gateway = starts[0].Result;
            await cluster.WaitForWorkersAsync(gateway, starts[1].Result, starts[2].Result);
            var api = cluster.Api(gateway);

            var sandboxes = new List<string>();
            for (var i = 0; i < 4; i++)
            {
                var (id, _) = await api.CreateSandboxOrThrowAsync();
                Assert.True((await api.RunCodeAsync(id, "n = 0")).Ok);
                sandboxes.Add(id);
            }

            // One caller per sandbox, running code in a loop through the restart; every answer must be right.
            using var stop = new CancellationTokenSource();
            var clock = Stopwatch.StartNew();
            var callers = sandboxes.Select(id => CallUntilStoppedAsync(api, id, clock, stop.Token)).ToArray();
            await Task.Delay(TimeSpan.FromSeconds(3));

            var stoppedAt = clock.Elapsed;
            await redis.StopAsync();
            cluster.Note("redis stopped");
            await Task.Delay(RedisDown);
            await redis.StartAsync();
            var backAt = clock.Elapsed;
            cluster.Note($"redis started again (pid {redis.Pid})");
            await Task.Delay(TimeSpan.FromSeconds(5));
            await stop.CancelAsync();
            var calls = await Task.WhenAll(callers);

            foreach (var (id, results) in sandboxes.Zip(calls))
            {
                Assert.All(results, r => Assert.True(r.Error is null, $"{id} at {r.At.TotalSeconds:F1} s: {r.Error}"));
                var during = results.Count(r => r.At > stoppedAt && r.At < backAt);
                Assert.True(during > 0, $"{id} made no call while Redis was down");
            }

            var gaps = calls.Select(MaxGap).ToArray();
            cluster.Note($"calls per sandbox {string.Join("/", calls.Select(c => c.Count))}; longest gap between answers {gaps.Max().TotalMilliseconds:F0} ms (Redis down {stoppedAt.TotalSeconds:F1}-{backAt.TotalSeconds:F1} s)");

            // Membership recovers: a new sandbox can be placed and a new worker joins and is counted by the gateway.
            var (_, node) = await api.CreateSandboxOrThrowAsync();
            cluster.Note($"new sandbox after the restart on {node}");
            var third = await cluster.StartWorkerAsync("w3");
            await cluster.WaitForWorkersAsync(gateway, starts[1].Result, starts[2].Result, third);
            cluster.Note("a third worker joined after the restart");

            // No sandbox lost: each still has its state.
            foreach (var (id, results) in sandboxes.Zip(calls))
            {
                var answer = await api.RunCodeAsync(id, "n");
                Assert.True(answer.Ok, $"{id}: {answer}");
                Assert.Equal(results.Count.ToString(), answer.Text("value"));
            }

            Assert.Equal([.. sandboxes.Order(StringComparer.Ordinal)], (await api.ListIdsAsync()).Where(sandboxes.Contains));
        });
    }

    private static TimeSpan MaxGap(List<(TimeSpan At, TimeSpan Took, string? Error)> results) =>
        results.Zip(results.Skip(1)).Select(p => p.Second.At + p.Second.Took - (p.First.At + p.First.Took)).DefaultIfEmpty().Max();

    private static async Task<List<(TimeSpan At, TimeSpan Took, string? Error)>> CallUntilStoppedAsync(GatewayApi api, string id, Stopwatch clock, CancellationToken stop)
    {
        var results = new List<(TimeSpan, TimeSpan, string?)>();
        var expected = 0;
        while (!stop.IsCancellationRequested)
        {
            var at = clock.Elapsed;
            string? error;
            try
            {
                var answer = await api.RunCodeAsync(id, "n += 1\nn", CancellationToken.None);
                expected++;
                error = answer.Ok && answer.Text("value") == expected.ToString() ? null : $"expected {expected}, got {answer}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                error = e.Message;
            }

            results.Add((at, clock.Elapsed - at, error));
            await Task.Delay(100, CancellationToken.None);
        }

        return results;
    }
}
