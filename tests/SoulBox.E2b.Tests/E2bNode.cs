using System.Collections.Concurrent;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace SoulBox.E2b.Tests;

/// <summary>One real SoulBox node (role both: the Silo's own Program on a free loopback port, Orleans on free ports,
/// the local Docker engine) for the whole assembly, with the E2B SDKs installed. <see cref="ApiKey"/> is the tenant
/// key the programs use as E2B_API_KEY. Each program runs once (<see cref="RunOnceAsync"/>) and its sections are
/// asserted by separate tests, so a handful of sandboxes cover every feature.</summary>
public sealed class E2bNode : IAsyncLifetime
{
    public const string ApiKey = "e2e-tenant-key-0000000000000000001";
    public const string OtherTenantKey = "e2e-other-tenant-key-0000000000002";

    /// <summary>A program creates one or two sandboxes (a cold start each on a loaded 2-core machine) and runs a
    /// dozen checks: generous, so only a hang ends it.</summary>
    private static readonly TimeSpan ProgramTimeout = TimeSpan.FromMinutes(6);

    private readonly ConcurrentDictionary<(string Program, string Sdk), Lazy<Task<ProgramRun>>> _runs = new();
    private WebApplicationFactory<Program>? _factory;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Every request the node received, in order (see <see cref="RequestRecorder"/>).</summary>
    public ConcurrentQueue<SeenRequest> Requests { get; } = new();

    /// <summary>The requests an SDK of <paramref name="version"/> sent (its User-Agent is <c>e2b-js-sdk/&lt;version&gt;</c>).</summary>
    public IReadOnlyList<SeenRequest> RequestsOf(string version) =>
        [.. Requests.Where(r => r.UserAgent.StartsWith($"e2b-js-sdk/{version}", StringComparison.Ordinal))];

    public async Task InitializeAsync()
    {
        await E2bSdks.EnsureInstalledAsync();

        (_factory, BaseAddress) = await StartNodeAsync(Requests, new Dictionary<string, string?>
        {
            ["SoulBox:Auth:Keys:" + ApiKey] = "e2e",
            ["SoulBox:Auth:Keys:" + OtherTenantKey] = "e2e-other",
            ["SoulBox:Limits:RequestsPerSecond"] = "0",
        });
    }

    /// <summary>Starts the Silo's own Program on a free loopback port with <paramref name="settings"/> on top of the
    /// ones every end-to-end node has, and waits until it is ready.</summary>
    internal static async Task<(WebApplicationFactory<Program> Node, Uri BaseAddress)> StartNodeAsync(
        ConcurrentQueue<SeenRequest> requests, Dictionary<string, string?> settings)
    {
        var port = FreePort();
        var all = new Dictionary<string, string?>
        {
            ["SoulBox:NodeName"] = $"e2e{Guid.NewGuid():N}"[..12],
            ["SoulBox:SiloPort"] = FreePort().ToString(),
            ["SoulBox:GatewayPort"] = FreePort().ToString(),
            ["Logging:LogLevel:Default"] = "Warning",
            // Sandboxes left at the end are not waited for when the fixture stops the node (a drain's default is 30 s).
            ["SoulBox:Drain:DeadlineSeconds"] = "0",
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        var factory = new Factory(port, requests, all);
        factory.StartServer();
        var baseAddress = new Uri($"http://127.0.0.1:{port}");

        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            using var ready = await http.GetAsync("/ready");
            if (ready.IsSuccessStatusCode)
            {
                return (factory, baseAddress);
            }

            if (DateTime.UtcNow > deadline)
            {
                var why = await ready.Content.ReadAsStringAsync();
                await factory.DisposeAsync();
                throw new TimeoutException($"The node did not become ready in 90 s: {why}");
            }

            await Task.Delay(250);
        }
    }

    /// <summary>The run of <paramref name="program"/> with <paramref name="sdk"/>, started by the first test that asks.</summary>
    public Task<ProgramRun> RunOnceAsync(string program, string sdk = E2bSdks.Current) =>
        _runs.GetOrAdd((program, sdk), key => new Lazy<Task<ProgramRun>>(
            () => NodeProgram.RunAsync(key.Program, key.Sdk, BaseAddress, ApiKey, OtherTenantKey, ProgramTimeout))).Value;

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class Factory : WebApplicationFactory<Program>
    {
        private readonly Dictionary<string, string?> _settings;
        private readonly ConcurrentQueue<SeenRequest> _requests;

        public Factory(int port, ConcurrentQueue<SeenRequest> requests, Dictionary<string, string?> settings)
        {
            _settings = settings;
            _requests = requests;
            UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            builder.ConfigureServices(services => services.AddSingleton<IStartupFilter>(new RequestRecorder(_requests)));
            foreach (var (key, value) in _settings)
            {
                builder.UseSetting(key, value);
            }
        }
    }
}

[CollectionDefinition(Name)]
public sealed class E2bCollection : ICollectionFixture<E2bNode>
{
    public const string Name = "e2b";
}
