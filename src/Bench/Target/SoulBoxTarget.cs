using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SoulBox.Client;

namespace SoulBox.Bench.Target;

/// <summary>The SoulBox under test: the node the bench started (or the one it was pointed at), the .NET
/// client connected to it, and the HTTP gateway when it answers.</summary>
internal sealed class SoulBoxTarget : IAsyncDisposable
{
    private readonly IHost _clientHost;
    private readonly HttpClient _http;

    private SoulBoxTarget(NodeProcess? node, IHost clientHost, HttpClient http, List<ISandboxDriver> drivers, string? httpUnavailable, string? e2bUnavailable, string description)
    {
        E2bUnavailable = e2bUnavailable;
        Node = node;
        _clientHost = clientHost;
        _http = http;
        Drivers = drivers;
        HttpUnavailable = httpUnavailable;
        Description = description;
        Client = clientHost.Services.GetRequiredService<ISoulBoxClient>();
    }

    public NodeProcess? Node { get; }
    public ISoulBoxClient Client { get; }
    public IReadOnlyList<ISandboxDriver> Drivers { get; }
    /// <summary>Why the HTTP gateway is not measured (null when it is).</summary>
    public string? HttpUnavailable { get; }
    /// <summary>Why E2B's SDK (the e2b transport) is not measured (null when it is).</summary>
    public string? E2bUnavailable { get; }
    public string Description { get; }
    public int? SiloPid => Node?.Pid;
    /// <summary>Docker label filter selecting this node's sandbox containers.</summary>
    public string ContainerLabel => Node is null ? "soulbox.node" : $"soulbox.node={Node.NodeName}";

    public static async Task<SoulBoxTarget> ConnectAsync(BenchOptions options, string outputDirectory, Progress progress, CancellationToken cancellationToken)
    {
        NodeProcess? node = null;
        string description;
        if (options.StartsNode)
        {
            // Room for every throughput sandbox plus the warm, cold-start and language sandboxes around them.
            node = await NodeProcess.StartAsync(outputDirectory, options.MaxSandboxes + 20, options.NodeEnv, progress, cancellationToken);
            description = $"single node started by the bench as a child process (pid {node.Pid}, {node.SiloPath}); the load generator is a separate process on the same cores";
        }
        else
        {
            description = options.Redis is not null ? "existing cluster via Redis" : $"existing local node, Orleans gateway port {options.GatewayPort}";
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(LogLevel.Warning).AddFilter("Orleans", LogLevel.Error).AddSimpleConsole(o => o.SingleLine = true);
        builder.AddSoulBoxClient(o =>
        {
            o.Redis = options.Redis;
            o.GatewayPort = node?.GatewayPort ?? options.GatewayPort ?? SoulBoxCluster.DefaultGatewayPort;
        });
        var host = builder.Build();
        await host.StartAsync(cancellationToken);

        var baseUrl = options.GatewayUrl ?? (node is not null ? $"http://127.0.0.1:{node.HttpPort}" : "http://127.0.0.1:8080");
        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = new Uri(baseUrl),
            Timeout = TimeSpan.FromSeconds(120),
        };

        var timeoutSeconds = 3600;
        var drivers = new List<ISandboxDriver>();
        if (options.Transports.Contains("client"))
        {
            drivers.Add(new ClientDriver(host.Services.GetRequiredService<ISoulBoxClient>(), timeoutSeconds));
        }

        string? httpUnavailable = null;
        if (options.Transports.Contains("http"))
        {
            httpUnavailable = await HttpDriver.ProbeAsync(http, cancellationToken);
            if (httpUnavailable is null)
            {
                drivers.Add(new HttpDriver(http, timeoutSeconds));
            }
            else
            {
                progress.NotAvailable("HTTP gateway", httpUnavailable + " (the /v1 API is not there yet); the gateway figures need it");
            }
        }
        else
        {
            httpUnavailable = "not requested (--transport client)";
        }

        string? e2bUnavailable = null;
        if (options.Transports.Contains("e2b"))
        {
            var apiKey = Environment.GetEnvironmentVariable("E2B_API_KEY") is { Length: > 0 } key ? key : E2bSdkDriver.DefaultApiKey;
            e2bUnavailable = await E2bSdkDriver.ProbeAsync(http, apiKey, cancellationToken);
            if (e2bUnavailable is null)
            {
                try
                {
                    drivers.Add(await E2bSdkDriver.StartAsync(http.BaseAddress!, apiKey, Path.Combine(outputDirectory, "e2b-driver.log"), timeoutSeconds, progress, cancellationToken));
                }
                catch (Exception e) when (e is InvalidOperationException or IOException or TimeoutException or System.ComponentModel.Win32Exception)
                {
                    e2bUnavailable = $"E2B's SDK could not be started under node: {e.Message}";
                }
            }

            if (e2bUnavailable is not null)
            {
                progress.NotAvailable("E2B SDK transport", e2bUnavailable + " (the E2B gateway or node is not there); the E2B SDK rows need it");
            }
        }

        if (drivers.Count == 0)
        {
            throw new InvalidOperationException("no transport to measure: the HTTP gateway is not available and --transport excludes the client");
        }

        var templates = await host.Services.GetRequiredService<ISoulBoxClient>().GetTemplatesAsync(cancellationToken);
        progress.Info($"cluster: templates {string.Join(", ", templates.Select(t => $"{t.Name} {t.Version}"))}; transports {string.Join(", ", drivers.Select(d => d.Name))}");
        return new SoulBoxTarget(node, host, http, drivers, httpUnavailable, e2bUnavailable, description);
    }

    /// <summary>Warm containers per template, from the node's Prometheus endpoint (the <c>soulbox_pool_warm</c> gauge);
    /// null when /metrics does not answer (a node without HTTP).</summary>
    public Task<Dictionary<string, int>?> WarmContainersAsync(CancellationToken cancellationToken) =>
        PerTemplateAsync(PoolGauge.MetricName, cancellationToken);

    /// <summary>Containers the node has started so far per template (its /metrics), or null when /metrics does not answer.</summary>
    public Task<Dictionary<string, int>?> ContainerStartsAsync(CancellationToken cancellationToken) =>
        PerTemplateAsync(PoolGauge.ContainerStartsMetric, cancellationToken);

    private async Task<Dictionary<string, int>?> PerTemplateAsync(string metric, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync("/metrics", cancellationToken);
            return response.IsSuccessStatusCode ? PoolGauge.Parse(await response.Content.ReadAsStringAsync(cancellationToken), metric) : null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Containers the stopped node left behind (e.g. warm-pool containers it does not remove on shutdown):
    /// the node name is this run's own, so nothing else is touched.</summary>
    private static async Task RemoveLeftoversAsync(string nodeName)
    {
        using var docker = new Docker.DotNet.DockerClientBuilder().WithEndpoint(new Uri("unix:///var/run/docker.sock")).WithApiVersion(System.Version.Parse("1.41")).Build();
        try
        {
            var leftovers = await docker.Containers.ListContainersAsync(new Docker.DotNet.Models.ContainersListParameters
            {
                All = true,
                Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"soulbox.node={nodeName}"] = true } },
            });
            foreach (var container in leftovers)
            {
                await docker.Containers.RemoveContainerAsync(container.ID, new Docker.DotNet.Models.ContainerRemoveParameters { Force = true });
            }
        }
        catch (Docker.DotNet.DockerApiException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _clientHost.StopAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
        }

        _clientHost.Dispose();
        _http.Dispose();
        foreach (var driver in Drivers.OfType<IAsyncDisposable>())
        {
            await driver.DisposeAsync();
        }

        if (Node is not null)
        {
            await Node.DisposeAsync();
            await RemoveLeftoversAsync(Node.NodeName);
        }
    }
}
