using System.Diagnostics;
using SoulBox.Cluster.Tests.Harness;
using Xunit.Abstractions;

namespace SoulBox.Cluster.Tests.Faults;

/// <summary>kill -9 of a worker while a command runs in one of its sandboxes, called through a gateway process.</summary>
[Collection(ClusterSuite.Name)]
public sealed class WorkerKillTests(ITestOutputHelper output)
{
    /// <summary>Loose on purpose (a shared 2-core machine); the measured figure is printed and goes in the report.</summary>
    private static readonly TimeSpan LostWithin = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task KilledWorker_ItsCallersGetLost_NewSandboxesGoToTheSurvivor_AndNoContainerOfItSurvives()
    {
        await using var cluster = new ClusterProcesses(output);
        await cluster.RunAsync(async () =>
        {
            await cluster.StartRedisAsync();
            var (gatewayStart, doomedStart, survivorStart) = (cluster.StartGatewayAsync("gw"), cluster.StartWorkerAsync("w1"), cluster.StartWorkerAsync("w2"));
            var (gateway, doomed, survivor) = (await gatewayStart, await doomedStart, await survivorStart);
            await cluster.WaitForWorkersAsync(gateway, doomed, survivor);
            var api = cluster.Api(gateway);

            var onDoomed = new List<string>();
            var onSurvivor = new List<string>();
            for (var i = 0; i < 16 && (onDoomed.Count < 2 || onSurvivor.Count < 4); i++)
            {
                var (id, node) = await api.CreateSandboxOrThrowAsync();
                (node == doomed.NodeName ? onDoomed : onSurvivor).Add(id);
                Assert.True((await api.RunCodeAsync(id, $"mine = '{id}'")).Ok);
            }

            Assert.True(onDoomed.Count >= 2 && onSurvivor.Count >= 4, $"placement never spread: {onDoomed.Count} on {doomed.NodeName}, {onSurvivor.Count} on {survivor.NodeName}");
            Assert.NotEmpty(await new Containers().RunningOfNodeAsync(doomed.NodeName));

            // A long command mid-run in a sandbox of the doomed worker: its caller waits on the gateway.
            var longRun = api.RunCommandAsync(onDoomed[0], "echo started; sleep 300", timeoutMs: 600_000);
            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.False(longRun.IsCompleted, $"the long command ended before the kill: {(longRun.IsCompleted ? longRun.Result : null)}");

            doomed.Kill();
            var sinceKill = Stopwatch.StartNew();
            cluster.Note($"kill -9 {doomed.NodeName} (pid {doomed.Pid})");

            // Creates keep coming from the moment of the kill: every one must succeed, on the survivor.
            using var stopCreating = new CancellationTokenSource();
            var creates = CreateUntilStoppedAsync(api, sinceKill, stopCreating.Token);

            var finished = await Task.WhenAny(longRun, Task.Delay(LostWithin));
            Assert.True(finished == longRun, $"the caller of the running command got no answer within {LostWithin.TotalSeconds:F0} s of the kill");
            var lostAfter = sinceKill.Elapsed;
            var answer = await longRun;
            cluster.Note($"caller of the running command: {answer} after {lostAfter.TotalSeconds:F1} s");
            Assert.Equal(HttpStatusCode.Conflict, answer.Status);
            Assert.Equal("sandbox_lost", answer.Code);

            // Another sandbox of the dead worker, called afresh: lost too, at once now.
            var second = await api.RunCodeAsync(onDoomed[1], "1 + 1");
            Assert.Equal(HttpStatusCode.Conflict, second.Status);
            Assert.Equal("sandbox_lost", second.Code);

            await stopCreating.CancelAsync();
            var placements = await creates;
            cluster.Note($"creates after the kill: {string.Join(", ", placements.Select(p => $"{p.At.TotalSeconds:F1}s+{p.Took.TotalSeconds:F1}s {(p.Answer.Ok ? p.Answer.Text("node") : p.Answer.ToString())}"))}");
            Assert.All(placements, p => Assert.True(p.Answer.Ok && p.Answer.Text("node") == survivor.NodeName, $"create {p.At.TotalSeconds:F1} s after the kill: {p.Answer}"));
            cluster.Note($"first create after the kill done {(placements[0].At + placements[0].Took).TotalSeconds:F1} s after it; slowest create {placements.Max(p => p.Took).TotalSeconds:F1} s");


            await Task.Delay(TimeSpan.FromSeconds(3));
            // The survivor's sandboxes never noticed, a few seconds after the death was declared (the grain directory entries the
            // dead silo held must not take them down).
            foreach (var id in onSurvivor)
            {
                var still = await api.RunCodeAsync(id, "mine");
                Assert.True(still.Ok, $"survivor's sandbox {id} after the kill: {still}");
                Assert.Equal($"'{id}'", still.Text("value"));
            }

            // No container of the dead worker survives it: a surviving worker on its Docker host reaps them.
            var host = new Containers();
            var reaped = Stopwatch.StartNew();
            while ((await host.WithLabelAsync($"soulbox.node={doomed.NodeName}")).Length > 0)
            {
                Assert.True(reaped.Elapsed < LostWithin, $"containers of {doomed.NodeName} still there {LostWithin.TotalSeconds:F0} s after its death was seen");
                await Task.Delay(500);
            }

            cluster.Note($"no container of {doomed.NodeName} left, {sinceKill.Elapsed.TotalSeconds:F1} s after the kill");
        });
    }

    private static async Task<List<(TimeSpan At, TimeSpan Took, ApiAnswer Answer)>> CreateUntilStoppedAsync(GatewayApi api, Stopwatch sinceKill, CancellationToken stop)
    {
        var results = new List<(TimeSpan, TimeSpan, ApiAnswer)>();
        // At least four, however long the first ones take (a create may wait for the dead silo's grain directory
        // range until its death is declared).
        while (!stop.IsCancellationRequested || results.Count < 4)
        {
            var at = sinceKill.Elapsed;
            var answer = await api.CreateSandboxAsync(CancellationToken.None);
            results.Add((at, sinceKill.Elapsed - at, answer));
            try
            {
                await Task.Delay(1000, stop);
            }
            catch (OperationCanceledException)
            {
                // Stopped: the rest of the minimum follows without a pause.
            }
        }

        return results;
    }
}
