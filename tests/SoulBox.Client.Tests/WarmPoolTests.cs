using Orleans;
using SoulBox.Grains;

namespace SoulBox.Client.Tests;

[Collection(ClusterCollection.Name)]
public sealed class WarmPoolTests(SoulBoxClusterFixture fixture)
{
    [Fact]
    public async Task CreatingASandbox_ClaimsAWarmContainer_AndThePoolRefills()
    {
        await WaitForWarmAsync("python", minimum: 1);

        await using var sandbox = await fixture.SoulBox.CreateSandboxAsync();
        var first = await sandbox.RunCodeAsync("import os\nos.getpid() > 0");

        Assert.True(sandbox.Info.WarmStart);
        Assert.Equal("True", first.Value);
        await WaitForWarmAsync("python", minimum: 1);
    }

    [Fact]
    public async Task ASandboxAskingForOtherLimits_StartsItsOwnContainer()
    {
        await using var sandbox = await fixture.SoulBox.CreateSandboxAsync(new SandboxCreateOptions { MemoryMb = 256 });

        Assert.False(sandbox.Info.WarmStart);
        Assert.Equal("2", (await sandbox.RunCodeAsync("1 + 1")).Value);
    }

    /// <summary>Waits until every node holds at least <paramref name="minimum"/> warm containers of the template.</summary>
    private async Task WaitForWarmAsync(string template, int minimum)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var statuses = await Task.WhenAll(fixture.Nodes.Select(n => fixture.Cluster.Client.GetGrain<IPoolManagerGrain>(n).GetStatusAsync()));
            if (statuses.All(s => s.Any(p => p.Template == template && p.Warm >= minimum)))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {minimum} warm {template} container(s) per node: {string.Join("; ", statuses.SelectMany(s => s).Select(p => $"{p.Template} warm {p.Warm} target {p.Target}"))}");
            await Task.Delay(200);
        }
    }
}
