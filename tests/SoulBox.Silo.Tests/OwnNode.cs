using System.Diagnostics;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace SoulBox.Silo.Tests;

/// <summary>A node of a test's own (role both unless the settings say otherwise: the Silo's Program, a real Orleans
/// silo, the local Docker engine), for tests that change a node for good (draining it) or start it broken. API keys:
/// <see cref="TenantKey"/> for tenant "own", <see cref="AdminKey"/> as admin; loopback callers are not admins.</summary>
internal sealed class OwnNode : IAsyncDisposable
{
    public const string TenantKey = "own-node-test-key-tenant-000000001";
    public const string AdminKey = "own-node-test-admin-key-0000000002";

    private readonly Factory _factory;

    private OwnNode(Factory factory, Uri baseAddress, string name)
    {
        _factory = factory;
        BaseAddress = baseAddress;
        Name = name;
    }

    public Uri BaseAddress { get; }

    public string Name { get; }

    public IServiceProvider Services => _factory.Services;

    public static OwnNode Start(string name, IReadOnlyDictionary<string, string?> settings)
    {
        var port = FreePort();
        var all = new Dictionary<string, string?>
        {
            ["SoulBox:NodeName"] = name,
            ["SoulBox:SiloPort"] = FreePort().ToString(),
            ["SoulBox:GatewayPort"] = FreePort().ToString(),
            ["SoulBox:Auth:Keys:" + TenantKey] = "own",
            ["SoulBox:Auth:AdminKeys:0"] = AdminKey,
            ["SoulBox:Limits:RequestsPerSecond"] = "0",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        var factory = new Factory(port, all);
        factory.StartServer();
        return new OwnNode(factory, new Uri($"http://127.0.0.1:{port}"), name);
    }

    public HttpClient Client(string? key)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(120) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    /// <summary>Waits until GET /ready answers <paramref name="status"/>; returns the last body.</summary>
    public async Task<JsonElement> WaitForReadyAsync(HttpStatusCode status, TimeSpan timeout)
    {
        using var client = Client(null);
        var waited = Stopwatch.StartNew();
        while (true)
        {
            using var response = await client.GetAsync("/ready");
            var text = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == status)
            {
                return JsonDocument.Parse(text).RootElement.Clone();
            }

            if (waited.Elapsed > timeout)
            {
                throw new TimeoutException($"GET /ready of node {Name} did not answer {(int)status} within {timeout.TotalSeconds} s; last: {(int)response.StatusCode} {text}");
            }

            await Task.Delay(200);
        }
    }

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

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
