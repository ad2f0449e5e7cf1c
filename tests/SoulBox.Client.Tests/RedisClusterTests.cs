using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using SoulBox.Grains.Hosting;

namespace SoulBox.Client.Tests;

/// <summary>Two worker silos that find each other through a real Redis (as separate hosts would), and a
/// client that finds them the same way. Redis comes from scripts/test.sh (SOULBOX_TEST_REDIS).</summary>
public sealed class RedisClusterTests
{
    private static string Redis => Environment.GetEnvironmentVariable("SOULBOX_TEST_REDIS")
        ?? throw new InvalidOperationException("SOULBOX_TEST_REDIS is not set: run scripts/test.sh, or start redis-server on loopback and set it.");

    [Fact]
    public async Task SilosClusterThroughRedis_AndTheClientPlacesSandboxesOnBoth()
    {
        var clusterId = $"test-{Guid.NewGuid():N}";
        var run = Environment.ProcessId;
        using var first = await StartSiloAsync(clusterId, $"r{run}-a");
        using var second = await StartSiloAsync(clusterId, $"r{run}-b");
        var clientBuilder = Host.CreateApplicationBuilder();
        clientBuilder.AddSoulBoxClient(o =>
        {
            o.Redis = Redis;
            o.ClusterId = clusterId;
        });
        using var client = clientBuilder.Build();
        await client.StartAsync();
        var soulbox = client.Services.GetRequiredService<ISoulBoxClient>();

        var sandboxes = new List<Sandbox>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                sandboxes.Add(await soulbox.CreateSandboxAsync());
            }

            Assert.Equal(new[] { $"r{run}-a", $"r{run}-b" }, sandboxes.Select(s => s.Info.Node).Distinct().Order());
            foreach (var sandbox in sandboxes)
            {
                Assert.Equal("2", (await sandbox.RunCodeAsync("1 + 1")).Value);
            }
        }
        finally
        {
            foreach (var sandbox in sandboxes)
            {
                await sandbox.DisposeAsync();
            }

            await client.StopAsync();
            await second.StopAsync();
            await first.StopAsync();
            await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(Redis);
            await redis.GetDatabase().KeyDeleteAsync($"{SoulBoxCluster.ServiceId}/members/{clusterId}"); // the cluster's membership table
        }
    }

    /// <summary>The cause of the test above failing once: a silo learns that a joining silo is Active a little before it
    /// learns what grains that silo hosts, and a load query placed in that gap put the newcomer's node grain on the
    /// asking silo, where Orleans kept routing it: the newcomer stayed invisible to that silo's placement for good.
    /// A gateway's /ready probe asks for loads exactly like this while workers join.</summary>
    [Fact]
    public async Task ASiloAskingForLoadsWhileAnotherJoins_SeesItOnceItIsActive()
    {
        var clusterId = $"test-{Guid.NewGuid():N}";
        var run = Environment.ProcessId;
        using var first = await StartSiloAsync(clusterId, $"j{run}-a");
        IHost? second = null;
        try
        {
            var factory = first.Services.GetRequiredService<IGrainFactory>().GetGrain<SoulBox.Grains.ISandboxFactoryGrain>(0);
            Assert.Equal([$"j{run}-a"], (await factory.GetNodesAsync()).Select(n => n.Node));
            var joining = StartSiloAsync(clusterId, $"j{run}-b");
            while (!joining.IsCompleted)
            {
                await factory.GetNodesAsync();
                await Task.Delay(2);
            }

            second = await joining;
            var waited = System.Diagnostics.Stopwatch.StartNew();
            string[] seen;
            do
            {
                seen = [.. (await factory.GetNodesAsync()).Select(n => n.Node).Order()];
                await Task.Delay(20);
            }
            while (seen.Length < 2 && waited.Elapsed < TimeSpan.FromSeconds(10));

            Assert.Equal([$"j{run}-a", $"j{run}-b"], seen);
        }
        finally
        {
            if (second is not null)
            {
                await second.StopAsync();
                second.Dispose();
            }

            await first.StopAsync();
            await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(Redis);
            await redis.GetDatabase().KeyDeleteAsync($"{SoulBoxCluster.ServiceId}/members/{clusterId}");
        }
    }

    private static async Task<IHost> StartSiloAsync(string clusterId, string name)
    {
        var builder = Host.CreateApplicationBuilder();
        var siloPort = FreePort();
        var gatewayPort = FreePort();
        builder.UseOrleans(silo =>
        {
            silo.UseRedisClustering(Redis);
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = clusterId;
                o.ServiceId = SoulBoxCluster.ServiceId;
            });
            silo.ConfigureEndpoints(IPAddress.Loopback, siloPort, gatewayPort);
            silo.Configure<SiloOptions>(o => o.SiloName = name);
            silo.AddSoulBoxWorker(new ConfigurationBuilder().Build());
        });
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
