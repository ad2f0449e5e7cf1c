using SoulBox.Cluster.Tests.Harness;
using Xunit.Abstractions;

namespace SoulBox.Cluster.Tests.Faults;

/// <summary>kill -9 of one of two gateways: sandboxes live on the workers, so the other gateway keeps serving them, and
/// the killed gateway, started again, sees every one of them (checked after the killed one was declared dead, when the
/// grain directory entries it held are gone).</summary>
[Collection(ClusterSuite.Name)]
public sealed class GatewayKillTests(ITestOutputHelper output)
{
    [Fact]
    public async Task KilledGateway_TheOtherKeepsServing_AndTheRestartedOneSeesEverySandbox()
    {
        await using var cluster = new ClusterProcesses(output);
        await cluster.RunAsync(async () =>
        {
            await cluster.StartRedisAsync();
            var starts = new[] { cluster.StartGatewayAsync("gw1"), cluster.StartGatewayAsync("gw2"), cluster.StartWorkerAsync("w1"), cluster.StartWorkerAsync("w2") };
            await Task.WhenAll(starts);
            var (first, second) = (starts[0].Result, starts[1].Result);
            var workers = new[] { starts[2].Result, starts[3].Result };
            await cluster.WaitForWorkersAsync(first, workers);
            await cluster.WaitForWorkersAsync(second, workers);
            var viaFirst = cluster.Api(first);

            // Four sandboxes made through the first gateway, each with state of its own.
            var sandboxes = new List<string>();
            for (var i = 0; i < 6; i++)
            {
                var (id, _) = await viaFirst.CreateSandboxOrThrowAsync();
                Assert.True((await viaFirst.RunCodeAsync(id, $"x = {i}")).Ok);
                sandboxes.Add(id);
            }

            sandboxes.Sort(StringComparer.Ordinal);
            first.Kill();
            cluster.Note($"kill -9 {first.NodeName} (pid {first.Pid})");

            var viaSecond = cluster.Api(second);
            Assert.Equal(sandboxes, await viaSecond.ListIdsAsync());
            await AssertEachAnswersAsync(viaSecond, sandboxes);
            cluster.Note($"{second.NodeName} served all {sandboxes.Count} sandboxes after the kill");

            var restarted = await cluster.StartGatewayAsync("gw1");
            await cluster.WaitForWorkersAsync(restarted, workers);
            var viaRestarted = cluster.Api(restarted);
            Assert.Equal(sandboxes, await viaRestarted.ListIdsAsync());
            await AssertEachAnswersAsync(viaRestarted, sandboxes);
            cluster.Note($"restarted {restarted.NodeName} lists and runs code in all {sandboxes.Count} sandboxes");
        });
    }

    private static async Task AssertEachAnswersAsync(GatewayApi api, IReadOnlyList<string> sandboxes)
    {
        foreach (var id in sandboxes)
        {
            var answer = await api.RunCodeAsync(id, "x * 10 + 1");
            Assert.True(answer.Ok, $"{id} through {api.Gateway.NodeName}: {answer}");
            Assert.Contains(answer.Text("value"), new[] { "1", "11", "21", "31", "41", "51" });
        }
    }
}
