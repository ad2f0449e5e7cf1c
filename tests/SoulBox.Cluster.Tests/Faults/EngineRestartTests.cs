using System.Diagnostics;
using SoulBox.Cluster.Tests.Harness;
using Xunit.Abstractions;

namespace SoulBox.Cluster.Tests.Faults;

/// <summary>The Docker engine of a worker restarted (SIGTERM, then started again on the same data) under the worker.
/// One engine serves everything on this machine, so the test starts a dockerd of its own and points one worker at it.</summary>
[Collection(ClusterSuite.Name)]
public sealed class EngineRestartTests(ITestOutputHelper output)
{
    private const int Warm = 2;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan EngineDown = TimeSpan.FromSeconds(8);

    [Fact]
    public async Task EngineRestarted_ItsSandboxesEndLost_ThePoolRefills_AndNewSandboxesWork()
    {
        await using var cluster = new ClusterProcesses(output);
        await cluster.RunAsync(async () =>
        {
            var engine = await DockerEngine.StartAsync(cluster.Directory);
            cluster.Track(engine.Containers, engine);
            cluster.Note($"dockerd pid {engine.Pid} on {engine.Socket}");
            await engine.LoadImageAsync("soulbox/python:latest");
            cluster.Note("soulbox/python loaded into it");

            await cluster.StartRedisAsync();
            var starts = new[]
            {
                cluster.StartGatewayAsync("gw"),
                cluster.StartWorkerAsync("w1", Warm, new Dictionary<string, string> { ["SoulBox__Docker__Endpoint"] = engine.Endpoint }),
            };
            await Task.WhenAll(starts);
            var (gateway, worker) = (starts[0].Result, starts[1].Result);
            await cluster.WaitForWorkersAsync(gateway, worker);
            var api = cluster.Api(gateway);
            await WaitForPoolAsync(engine, worker.NodeName, Warm);
            cluster.Note($"pool of {Warm} running on the test's engine");

            var (before, _) = await api.CreateSandboxOrThrowAsync();
            Assert.Equal("2", (await api.RunCodeAsync(before, "1 + 1")).Text("value"));

            await engine.StopAsync();
            var sinceStop = Stopwatch.StartNew();
            cluster.Note("dockerd stopped (SIGTERM)");

            // Its containers stopped with it: the sandbox ends as lost, with an answer, not a hang.
            var call = api.RunCodeAsync(before, "1 + 1");
            Assert.True(await Task.WhenAny(call, Task.Delay(Bound)) == call, $"no answer from a sandbox of the stopped engine within {Bound.TotalSeconds:F0} s");
            var answer = await call;
            cluster.Note($"sandbox of the stopped engine: {answer} after {sinceStop.Elapsed.TotalSeconds:F1} s");
            Assert.Equal(HttpStatusCode.Conflict, answer.Status);
            Assert.Equal("sandbox_lost", answer.Code);

            // While the engine is away a create gets a clear answer at once (the pool's containers went with the
            // engine), and the worker keeps trying to refill its pool in the background.
            var during = Stopwatch.StartNew();
            var refused = await api.CreateSandboxAsync();
            cluster.Note($"create while the engine is down: {refused} after {during.Elapsed.TotalSeconds:F1} s");
            Assert.False(refused.Ok, $"a create succeeded with the engine down: {refused}");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.Status);
            await Task.Delay(EngineDown - during.Elapsed);

            // Timed from the launch of dockerd: the worker may reach it before the test's own first look does.
            var sinceStart = Stopwatch.StartNew();
            await engine.StartAsync();
            cluster.Note($"dockerd started again (pid {engine.Pid}), answering after {sinceStart.Elapsed.TotalSeconds:F1} s");
            await WaitForPoolAsync(engine, worker.NodeName, Warm);
            var refill = sinceStart.Elapsed;
            cluster.Note($"pool refilled to {Warm} {refill.TotalSeconds:F1} s after dockerd was started again");

            var (after, node) = await api.CreateSandboxOrThrowAsync();
            Assert.Equal(worker.NodeName, node);
            Assert.Equal("2", (await api.RunCodeAsync(after, "1 + 1")).Text("value"));
            var again = await api.RunCodeAsync(before, "1 + 1");
            Assert.Equal("sandbox_lost", again.Code);
            cluster.Note($"new sandbox works {sinceStart.Elapsed.TotalSeconds:F1} s after dockerd was started again");
        });
    }

    /// <summary>Until the node has <paramref name="count"/> running containers on the engine (its warm pool, when no
    /// sandbox is live).</summary>
    private static async Task WaitForPoolAsync(DockerEngine engine, string node, int count)
    {
        var waited = Stopwatch.StartNew();
        var running = Array.Empty<string>();
        while (waited.Elapsed < Bound)
        {
            running = await engine.Containers.RunningOfNodeAsync(node);
            if (running.Length >= count)
            {
                return;
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"{node} had {running.Length} of {count} warm containers running on {engine.Socket} after {Bound.TotalSeconds:F0} s:\n{engine.Log()}");
    }
}
