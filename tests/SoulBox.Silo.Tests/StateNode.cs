using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;

namespace SoulBox.Silo.Tests;

/// <summary>One SoulBox node of a Redis cluster of its own (the Silo's own Program, real Orleans with Redis membership,
/// real Docker, the cluster state in Redis under a prefix of its own), startable again under the same name to show
/// what survives a restart. The cluster id is the test's, so it never joins anyone else's silos on the shared Redis.</summary>
internal sealed class StateNode : IAsyncDisposable
{
    public const string KeyA = "state-test-key-tenant-a-000000001";
    public const string KeyB = "state-test-key-tenant-b-000000002";

    private readonly Factory _factory;

    private StateNode(Factory factory, Uri baseAddress) => (_factory, BaseAddress) = (factory, baseAddress);

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _factory.Services;

    public static string Redis => Environment.GetEnvironmentVariable("SOULBOX_TEST_REDIS")
        ?? throw new InvalidOperationException("SOULBOX_TEST_REDIS is not set: run scripts/test.sh, or start redis-server on loopback and set it.");

    /// <summary>Starts a node and waits until it is ready (for a worker: it can start a sandbox).</summary>
    public static async Task<StateNode> StartAsync(string clusterId, string keyPrefix, string name, string role = "both", IDictionary<string, string?>? extra = null)
    {
        var port = FreePort();
        var settings = new Dictionary<string, string?>
        {
            ["SoulBox:Role"] = role,
            ["SoulBox:NodeName"] = name,
            ["SoulBox:Redis"] = Redis,
            ["SoulBox:SiloPort"] = FreePort().ToString(),
            ["SoulBox:GatewayPort"] = FreePort().ToString(),
            ["SoulBox:State:KeyPrefix"] = keyPrefix,
            // A stopping node drains first; these tests restart nodes and must not wait out the 30 s default.
            ["SoulBox:Drain:DeadlineSeconds"] = "0",
            ["SoulBox:Auth:Keys:" + KeyA] = "tenant-a",
            ["SoulBox:Auth:Keys:" + KeyB] = "tenant-b",
            ["SoulBox:Pool:Templates:0"] = "python",
            ["SoulBox:Pool:MinWarmPerTemplate"] = "0",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var factory = new Factory(port, clusterId, settings);
        factory.StartServer();
        var node = new StateNode(factory, new Uri($"http://127.0.0.1:{port}"));
        using var anonymous = node.Client(null);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var ready = await anonymous.GetAsync("/ready");
            if (ready.IsSuccessStatusCode)
            {
                return node;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Node {name} did not become ready in 60 s: {await ready.Content.ReadAsStringAsync()}");
            }

            await Task.Delay(250);
        }
    }

    public HttpClient Client(string? key)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>Stops the node as an operator's restart does (graceful: its sandboxes end as lost).</summary>
    public async ValueTask DisposeAsync() => await _factory.DisposeAsync();

    private static int FreePort() => SoulBox.Cluster.Tests.Harness.FreePorts.Next();

    private sealed class Factory : WebApplicationFactory<Program>
    {
        private readonly string _clusterId;
        private readonly Dictionary<string, string?> _settings;

        public Factory(int port, string clusterId, Dictionary<string, string?> settings)
        {
            (_clusterId, _settings) = (clusterId, settings);
            UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            foreach (var (key, value) in _settings)
            {
                builder.UseSetting(key, value);
            }

            builder.ConfigureServices(services => services.PostConfigure<ClusterOptions>(o => o.ClusterId = _clusterId));
        }
    }
}
