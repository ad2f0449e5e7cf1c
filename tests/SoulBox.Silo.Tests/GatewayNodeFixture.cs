using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace SoulBox.Silo.Tests;

/// <summary>A gateway-only node (the Silo's own Program, a real Orleans silo, no worker and so no Docker) with API
/// keys and the defaults the shared node overrides: loopback callers are not admins, and callers without a valid key
/// get a small rate (1/s, burst 3) so the limit is reached in a few requests.</summary>
public sealed class GatewayNodeFixture : IAsyncLifetime
{
    public const string TenantKey = "gateway-test-key-tenant-00000001";
    public const string AdminKey = "gateway-test-admin-key-0000000002";
    public const int AnonymousBurst = 3;

    private Factory? _factory;

    public Uri BaseAddress { get; private set; } = null!;

    public Task InitializeAsync()
    {
        var port = FreePort();
        _factory = new Factory(port, new Dictionary<string, string?>
        {
            ["SoulBox:Role"] = "gateway",
            ["SoulBox:NodeName"] = "gatewaytest",
            ["SoulBox:SiloPort"] = FreePort().ToString(),
            ["SoulBox:GatewayPort"] = FreePort().ToString(),
            ["SoulBox:Auth:Keys:" + TenantKey] = "tenant-g",
            ["SoulBox:Auth:AdminKeys:0"] = AdminKey,
            ["SoulBox:AnonymousLimits:RequestsPerSecond"] = "1",
            ["SoulBox:AnonymousLimits:Burst"] = AnonymousBurst.ToString(),
            ["Logging:LogLevel:Default"] = "Warning",
        });
        _factory.StartServer();
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
        return Task.CompletedTask;
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

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
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
public sealed class GatewayNodeCollection : ICollectionFixture<GatewayNodeFixture>
{
    public const string Name = "gateway-node";
}
