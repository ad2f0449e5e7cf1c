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
            await cluster.WaitForWorkersAsync(gateway, 2);
            var api = cluster.Api(gateway);

            var onDoomed = new List<string>();
            var onSurvivor = new List<string>();
            for (var i = 0; i < 12 && (onDoomed.Count < 2 || onSurvivor.Count == 0); i++)
            {
                var (id, node) = await api.CreateSandboxOrThrowAsync();
                (node == doomed.NodeName ? onDoomed : onSurvivor).Add(id);
            }

            Assert.True(onDoomed.Count >= 2 && onSurvivor.Count >= 1, $"placement never spread: {onDoomed.Count} on {doomed.NodeName}, {onSurvivor.Count} on {survivor.NodeName}");
            Assert.NotEmpty(await new Containers().RunningOfNodeAsync(doomed.NodeName));

            // A long command mid-run in a sandbox of the doomed worker: its caller waits on the gateway.
            var longRun = api.RunCommandAsync(onDoomed[0], "echo started; sleep 300", timeoutMs: 600_000);
            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.False(longRun.IsCompleted, $"the long command ended before the kill: {(longRun.IsCompleted ? longRun.Result : null)}");

            doomed.Kill();
            var sinceKill = Stopwatch.StartNew();
            cluster.Note($"kill -9 {doomed.NodeName} (pid {doomed.Pid})");

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

            // New sandboxes: every one goes to the survivor.
            var placements = new List<string>();
            while (placements.Count < 4)
            {
                var created = await api.CreateSandboxAsync();
                Assert.True(created.Ok, $"create after the kill: {created}");
                placements.Add(created.Text("node"));
            }

            var survivorOwnsAllAfter = sinceKill.Elapsed;
            cluster.Note($"4 new sandboxes on {string.Join(", ", placements)}, {survivorOwnsAllAfter.TotalSeconds:F1} s after the kill");
            Assert.All(placements, node => Assert.Equal(survivor.NodeName, node));

            // The survivor's sandboxes never noticed.
            Assert.Equal("2", (await api.RunCodeAsync(onSurvivor[0], "1 + 1")).Text("value"));

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
}
