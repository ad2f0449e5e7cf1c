using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace SoulBox.Silo.Tests.TwoSilos;

/// <summary>A cluster as operators run it, in this process: a worker node (sandboxes on the local Docker engine, no
/// API) and a gateway node (HTTP only), each the Silo's own Program, finding each other through a Redis of their
/// own. Both serve /metrics; the gateway has a tenant with a tiny rate limit and an admin key (dashboard).</summary>
public sealed class TwoSiloClusterFixture : IAsyncLifetime
{
    public const string TenantKey = "two-silo-tenant-key-00000000000001";
    public const string Tenant = "tiny";
    public const string AdminKey = "two-silo-admin-key-000000000000002";

    private readonly List<WebApplicationFactory<Program>> _nodes = [];
    private OwnRedis? _redis;

    public string WorkerName { get; } = $"w{Environment.ProcessId}";

    public string GatewayName { get; } = $"g{Environment.ProcessId}";

    public Uri Gateway { get; private set; } = null!;

    public Uri Worker { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _redis = await OwnRedis.StartAsync();
        Worker = Start(new()
        {
            ["SoulBox:Role"] = "worker",
            ["SoulBox:NodeName"] = WorkerName,
        });
        Gateway = Start(new()
        {
            ["SoulBox:Role"] = "gateway",
            ["SoulBox:NodeName"] = GatewayName,
            ["SoulBox:Auth:Keys:" + TenantKey] = Tenant,
            ["SoulBox:Auth:AdminKeys:0"] = AdminKey,
            ["SoulBox:Limits:Tenants:" + Tenant + ":RequestsPerSecond"] = "1",
            ["SoulBox:Limits:Tenants:" + Tenant + ":Burst"] = "1",
        });
    }

    public HttpClient Client(Uri node, string? key)
    {
        var client = new HttpClient { BaseAddress = node, Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    public async Task DisposeAsync()
    {
        // The gateway first: a worker that stops first leaves the gateway retrying it.
        for (var i = _nodes.Count - 1; i >= 0; i--)
        {
            await _nodes[i].DisposeAsync();
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    private Uri Start(Dictionary<string, string?> settings)
    {
        var port = FreePort();
        var url = $"http://127.0.0.1:{port}";
        settings["SoulBox:Redis"] = _redis!.ConnectionString;
        settings["SoulBox:SiloPort"] = FreePort().ToString();
        settings["SoulBox:GatewayPort"] = FreePort().ToString();
        // A worker serves HTTP (/metrics, /health) only when given addresses; the gateway needs them for its API too.
        settings["SoulBox:Http:Urls"] = url;
        settings["Logging:LogLevel:Default"] = "Warning";
        var factory = new Factory(port, settings);
        _nodes.Add(factory);
        factory.StartServer();
        return new Uri(url);
    }

    private static int FreePort() => SoulBox.Cluster.Tests.Harness.FreePorts.Next();

    private sealed class Factory : WebApplicationFactory<Program>
    {
        private readonly Dictionary<string, string?> _settings;

        public Factory(int port, Dictionary<string, string?> settings)
        {
            _settings = settings;
            UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            foreach (var (key, value) in _settings)
            {
                builder.UseSetting(key, value);
            }
        }
    }
}

[CollectionDefinition(Name)]
public sealed class TwoSiloCollection : ICollectionFixture<TwoSiloClusterFixture>
{
    public const string Name = "two-silo-cluster";
}
