using Microsoft.Extensions.DependencyInjection;
using SoulBox.Grains.Sandboxes;

namespace SoulBox.Client.Tests;

[Collection(ClusterCollection.Name)]
public sealed class PlacementTests(SoulBoxClusterFixture fixture)
{
    [Fact]
    public async Task ASandboxLivesOnTheNodeItsIdNames_AndEveryCallReachesIt()
    {
        var sandboxes = new List<Sandbox>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                sandboxes.Add(await fixture.SoulBox.CreateSandboxAsync());
            }

            foreach (var sandbox in sandboxes)
            {
                Assert.StartsWith(sandbox.Info.Node + ".", sandbox.Id);
                var hosting = fixture.Cluster.Silos.Single(s => s.ServiceProvider.GetRequiredService<SandboxRegistry>().Live.Any(l => l.Id == sandbox.Id));
                Assert.Equal(sandbox.Info.Node, hosting.ServiceProvider.GetRequiredService<SoulBox.Grains.Hosting.NodeIdentity>().Name);
                Assert.Equal("1", (await sandbox.RunCodeAsync("1")).Value);
            }

            // Load-aware placement spreads four sandboxes over both idle nodes.
            Assert.Equal(2, sandboxes.Select(s => s.Info.Node).Distinct().Count());
        }
        finally
        {
            foreach (var sandbox in sandboxes)
            {
                await sandbox.DisposeAsync();
            }
        }
    }
}

/// <summary>Stops a silo under a sandbox: has its own cluster, because it breaks it.</summary>
public sealed class SiloLossTests
{
    [Fact]
    public async Task ASandboxWhoseSiloDied_IsReportedLost_NotReactivatedElsewhere()
    {
        var cluster = SoulBoxClusterFixture.BuildCluster(2);
        await cluster.DeployAsync();
        string? secondaryNameForCleanup = null;
        try
        {
            var soulbox = SoulBoxClusterFixture.ClientFor(cluster);
            var secondary = cluster.Silos[1];
            var secondaryName = secondary.ServiceProvider.GetRequiredService<SoulBox.Grains.Hosting.NodeIdentity>().Name;
            secondaryNameForCleanup = secondaryName;
            Sandbox? onSecondary = null;
            for (var i = 0; i < 10 && onSecondary is null; i++)
            {
                var sandbox = await soulbox.CreateSandboxAsync();
                if (sandbox.Info.Node == secondaryName)
                {
                    onSecondary = sandbox;
                }
            }

            Assert.NotNull(onSecondary);
            await cluster.KillSiloAsync(secondary);
            await cluster.WaitForLivenessToStabilizeAsync();

            var error = await Assert.ThrowsAsync<SandboxLostException>(() => onSecondary.RunCodeAsync("1"));
            Assert.Contains(secondaryName, error.Message);
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
            // The killed silo could not remove its containers (a real restart of that node would reap them): remove
            // them here, by the node's label, so the test leaves nothing running on the machine.
            if (secondaryNameForCleanup is { } node)
            {
                var left = await DockerCli.RunAsync("ps", "-aq", "--filter", $"label=soulbox.node={node}");
                var ids = left.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (ids.Length > 0)
                {
                    await DockerCli.RunAsync(["rm", "-f", .. ids]);
                }
            }
        }
    }
}
