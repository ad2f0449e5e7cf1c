using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using SoulBox.Grains.Hosting;
using SoulBox.Security;
using StackExchange.Redis;

namespace SoulBox.Client.Tests;

/// <summary>A test CA, a rogue CA, and two worker silos (no warm pool: no containers) that require TLS with the test
/// CA's certificates, clustered through the real Redis under a cluster id of their own, removed at the end.</summary>
public sealed class TlsClusterFixture : IAsyncLifetime
{
    private readonly List<IHost> _silos = [];

    public static string Redis => Environment.GetEnvironmentVariable("SOULBOX_TEST_REDIS")
        ?? throw new InvalidOperationException("SOULBOX_TEST_REDIS is not set: run scripts/test.sh, or start redis-server on loopback and set it.");

    public TestPki Pki { get; } = new("soulbox-test-ca");

    public TestPki Rogue { get; } = new("rogue-ca");

    public string ClusterId { get; } = $"tls-{Guid.NewGuid():N}";

    public async Task InitializeAsync()
    {
        var run = Environment.ProcessId;
        _silos.Add(await StartSiloAsync($"t{run}-a"));
        _silos.Add(await StartSiloAsync($"t{run}-b"));
    }

    public async Task DisposeAsync()
    {
        foreach (var silo in Enumerable.Reverse(_silos))
        {
            await silo.StopAsync();
            silo.Dispose();
        }

        await using (var redis = await ConnectionMultiplexer.ConnectAsync(Redis))
        {
            await redis.GetDatabase().KeyDeleteAsync($"{SoulBoxCluster.ServiceId}/members/{ClusterId}");
        }

        Pki.Dispose();
        Rogue.Dispose();
    }

    private async Task<IHost> StartSiloAsync(string name)
    {
        var tls = ClusterTls.Load(new ClusterTlsOptions
        {
            CertificatePath = Pki.Issue(name, silo: true),
            Password = TestPki.Password,
            CaCertificatePath = Pki.CaPemPath,
        }, "SoulBox:Tls", silo: true);
        var builder = Host.CreateApplicationBuilder();
        var (siloPort, gatewayPort) = (FreePort(), FreePort());
        builder.UseOrleans(silo =>
        {
            silo.UseRedisClustering(Redis);
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = ClusterId;
                o.ServiceId = SoulBoxCluster.ServiceId;
            });
            silo.ConfigureEndpoints(IPAddress.Loopback, siloPort, gatewayPort);
            silo.Configure<SiloOptions>(o => o.SiloName = name);
            silo.UseSoulBoxTls(tls);
            // No warm pool: these tests list nodes and templates, they start no container.
            silo.AddSoulBoxWorker(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["SoulBox:Pool:Enabled"] = "false" }).Build());
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
