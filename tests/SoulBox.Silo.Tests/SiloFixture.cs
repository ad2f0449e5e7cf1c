using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace SoulBox.Silo.Tests;

/// <summary>One real SoulBox node (role both: gateway + worker on the local Docker engine) for the whole test
/// assembly: the Silo's own Program on a free loopback port, Orleans on free ports, API keys for three tenants.</summary>
public sealed class SiloFixture : IAsyncLifetime
{
    public const string KeyA = "test-key-tenant-a-0000000000000001";
    public const string KeyB = "test-key-tenant-b-0000000000000002";
    public const string KeyLimited = "test-key-limited-00000000000000003";
    public const string KeySmall = "test-key-small-0000000000000000004";
    public const string AdminKey = "test-admin-key-000000000000000005";
    public const string KeyStreamer = "test-key-streamer-0000000000000006";

    /// <summary>In-flight requests of the "streamer" tenant, and process streams any tenant may hold open.</summary>
    public const int StreamerInFlight = 2;
    public const int ProcessStreamsPerTenant = 4;
    public const int MaxJsonBodyBytes = 1024 * 1024;

    /// <summary>Largest input file of a batch (SoulBox:BatchInputs:MaxFileBytes), small enough to pass in a test.</summary>
    public const int MaxBatchInputFileBytes = 4 * 1024 * 1024;

    private Factory? _factory;

    public Uri BaseAddress { get; private set; } = null!;

    public IServiceProvider Services => _factory!.Services;

    public HttpClient TenantA { get; private set; } = null!;
    public HttpClient TenantB { get; private set; } = null!;
    public HttpClient Limited { get; private set; } = null!;
    public HttpClient Small { get; private set; } = null!;
    public HttpClient Streamer { get; private set; } = null!;
    public HttpClient Anonymous { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var port = FreePort();
        _factory = new Factory(port, new Dictionary<string, string?>
        {
            ["SoulBox:NodeName"] = "silotest",
            ["SoulBox:SiloPort"] = FreePort().ToString(),
            ["SoulBox:GatewayPort"] = FreePort().ToString(),
            ["SoulBox:Http:MaxRequestBodyBytes"] = MaxJsonBodyBytes.ToString(),
            ["SoulBox:BatchInputs:MaxFileBytes"] = MaxBatchInputFileBytes.ToString(),
            ["SoulBox:Auth:Keys:" + KeyA] = "tenant-a",
            ["SoulBox:Auth:Keys:" + KeyB] = "tenant-b",
            ["SoulBox:Auth:Keys:" + KeyLimited] = "limited",
            ["SoulBox:Auth:Keys:" + KeySmall] = "small",
            ["SoulBox:Auth:AdminKeys:0"] = AdminKey,
            // The browser test loads the dashboard without a key; the default (off with keys) is tested on GatewayNodeFixture.
            ["SoulBox:Auth:LoopbackIsAdmin"] = "true",
            ["SoulBox:Limits:RequestsPerSecond"] = "0",
            ["SoulBox:Limits:Tenants:limited:RequestsPerSecond"] = "1",
            ["SoulBox:Limits:Tenants:limited:Burst"] = "3",
            ["SoulBox:Limits:Tenants:small:MaxSandboxes"] = "1",
            ["SoulBox:Auth:Keys:" + KeyStreamer] = "streamer",
            ["SoulBox:Limits:Tenants:streamer:MaxInFlight"] = StreamerInFlight.ToString(),
            ["SoulBox:ProcessStreams:MaxPerTenant"] = ProcessStreamsPerTenant.ToString(),
            ["SoulBox:ProcessStreams:KeepAliveSeconds"] = "1",
            ["Logging:LogLevel:Default"] = "Warning",
            // Sandboxes left at the end are not waited for when the fixture stops the node (a drain's default is 30 s).
            ["SoulBox:Drain:DeadlineSeconds"] = "0",
        });
        _factory.StartServer();
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
        TenantA = Client(KeyA);
        TenantB = Client(KeyB);
        Limited = Client(KeyLimited);
        Small = Client(KeySmall);
        Streamer = Client(KeyStreamer);
        Anonymous = Client(null);

        // Ready means a worker with templates answers: the node is usable.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var ready = await Anonymous.GetAsync("/ready");
            if (ready.IsSuccessStatusCode)
            {
                break;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The node did not become ready in 60 s: {await ready.Content.ReadAsStringAsync()}");
            }

            await Task.Delay(250);
        }
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

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    public async Task DisposeAsync()
    {
        foreach (var client in new[] { TenantA, TenantB, Limited, Small, Anonymous })
        {
            client?.Dispose();
        }

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
public sealed class SiloCollection : ICollectionFixture<SiloFixture>
{
    public const string Name = "silo";
}
