using System.Diagnostics;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SoulBox.Bench.Target;
using SoulBox.Client;
using SoulBox.Grains;

namespace SoulBox.Bench.Scale;

/// <summary>One cluster of the scale scenario: a throwaway Redis for membership, N worker silos each with its sandbox
/// containers under a parent cgroup of its own with a CPU quota, and ONE gateway silo that all load goes through (HTTP
/// with an API key, or the .NET client connected to the gateway silo's Orleans gateway only). Every piece is a separate
/// process; everything is stopped and removed on dispose (containers by this run's node labels, cgroups by name).</summary>
internal sealed class ScaleCluster : IAsyncDisposable
{
    private const string ApiKey = "sbx_bench_scale_key_0123456789abcdef";

    private ScaleCluster(RedisServer redis) => Redis = redis;

    public RedisServer Redis { get; }
    public NodeProcess Gateway { get; private set; } = null!;
    public List<(NodeProcess Node, ParentCgroup Cgroup)> Workers { get; } = [];
    public ISandboxDriver Driver { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    private IHost? _client;
    // Every parent cgroup created, disposed whatever happened to its worker.
    private readonly List<ParentCgroup> _cgroups = [];

    public static async Task<ScaleCluster> StartAsync(ScaleOptions options, int workers, string output, Progress progress, CancellationToken cancellationToken)
    {
        var cluster = new ScaleCluster(await RedisServer.StartAsync(cancellationToken));
        try
        {
            await cluster.StartProcessesAsync(options, workers, output, progress, cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task StartProcessesAsync(ScaleOptions options, int workers, string output, Progress progress, CancellationToken cancellationToken)
    {
        progress.Info($"redis-server: pid {Redis.Pid}, {Redis.ConnectionString} (membership of this cluster only)");
        var run = Environment.ProcessId;
        var maxSandboxes = options.SandboxesPerWorker * workers + 8;
        var starts = new List<Task<NodeProcess>>();
        var cgroups = _cgroups;
        for (var i = 1; i <= workers; i++)
        {
            var cgroup = ParentCgroup.Create($"soulbox-bench-{run}-w{i}", options.WorkerCpus);
            cgroups.Add(cgroup);
            progress.Info($"worker {i}: sandbox budget {cgroup.Path}, CPU quota {options.WorkerCpus:0.###} core");
            var environment = new Dictionary<string, string>
            {
                ["SoulBox__Docker__CgroupParent"] = cgroup.Path,
                // On cgroup v1 the kernel refuses a container whose own CPU limit is above its parent's quota.
                ["SoulBox__Sandbox__DefaultCpu"] = Math.Min(1, options.WorkerCpus).ToString(System.Globalization.CultureInfo.InvariantCulture),
                // Only the measured template is kept warm: the other templates' pools would start containers for nothing.
                ["SoulBox__Pool__Templates__0"] = Templates.Python,
            };
            starts.Add(NodeProcess.StartAsync(output, new NodeSpec($"bench-{run}-w{i}", $"scale-{workers}w-worker{i}.log", maxSandboxes)
            {
                Role = "worker", Redis = Redis.ConnectionString, Environment = environment,
            }, progress, cancellationToken));
        }

        // Wait for every start before failing on one: a started worker must be stopped by dispose.
        await Task.WhenAll(starts.Select(s => s.ContinueWith(_ => { }, TaskScheduler.Default)));
        for (var i = 0; i < starts.Count; i++)
        {
            if (starts[i].IsCompletedSuccessfully)
            {
                Workers.Add((starts[i].Result, cgroups[i]));
            }
        }

        foreach (var failed in starts.Where(s => !s.IsCompletedSuccessfully))
        {
            await failed; // rethrows the first failure
        }

        Gateway = await NodeProcess.StartAsync(output, new NodeSpec($"bench-{run}-gw", $"scale-{workers}w-gateway.log", 0)
        {
            Role = "gateway", Redis = Redis.ConnectionString,
            Environment = new Dictionary<string, string> { [$"SoulBox__Auth__Keys__{ApiKey}"] = "bench" },
        }, progress, cancellationToken);

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(LogLevel.Warning).AddFilter("Orleans", LogLevel.Error).AddSimpleConsole(o => o.SingleLine = true);
        // No Redis: the client's only gateway is the gateway silo, so every request goes through it.
        builder.AddSoulBoxClient(o => o.GatewayPort = Gateway.GatewayPort);
        _client = builder.Build();
        await _client.StartAsync(cancellationToken);
        await WaitForWorkersAsync(workers, progress, cancellationToken);

        Http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{Gateway.HttpPort}"),
            Timeout = TimeSpan.FromSeconds(120),
        };
        Http.DefaultRequestHeaders.Add("X-API-Key", ApiKey);
        if (options.Transport == "http")
        {
            if (await HttpDriver.ProbeAsync(Http, cancellationToken) is { } problem)
            {
                throw new InvalidOperationException($"the gateway's HTTP API does not answer: {problem}");
            }

            Driver = new HttpDriver(Http, 3600);
        }
        else
        {
            Driver = new ClientDriver(_client.Services.GetRequiredService<ISoulBoxClient>(), 3600);
        }
    }

    /// <summary>Until the gateway sees every worker up with the python image (membership converged, pools started).</summary>
    private async Task WaitForWorkersAsync(int workers, Progress progress, CancellationToken cancellationToken)
    {
        var factory = _client!.Services.GetRequiredService<IClusterClient>().GetGrain<ISandboxFactoryGrain>(0);
        var waited = Stopwatch.StartNew();
        var seen = 0;
        while (waited.Elapsed < TimeSpan.FromSeconds(120))
        {
            try
            {
                var nodes = await factory.GetNodesAsync().WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
                seen = nodes.Count(n => n.Templates.Contains(Templates.Python));
                if (seen >= workers)
                {
                    progress.Info($"cluster: gateway sees {seen} workers after {waited.Elapsed.TotalSeconds:F1} s");
                    return;
                }
            }
            catch (Exception e) when (e is TimeoutException or OrleansException)
            {
            }

            await Task.Delay(500, cancellationToken);
        }

        throw new TimeoutException($"the gateway saw {seen} of {workers} workers after 120 s; see the scale-*.log files");
    }

    public IEnumerable<NodeProcess> Silos => Workers.Select(w => w.Node).Prepend(Gateway).Where(n => n is not null);

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            try
            {
                await _client.StopAsync(TimeSpan.FromSeconds(10));
            }
            catch (Exception e) when (e is OperationCanceledException or TimeoutException)
            {
            }

            _client.Dispose();
        }

        Http?.Dispose();
        if (Gateway is not null)
        {
            await Gateway.DisposeAsync();
        }

        await Task.WhenAll(Workers.Select(w => w.Node.DisposeAsync().AsTask()));
        await RemoveLeftoversAsync(Workers.Select(w => w.Node.NodeName));
        foreach (var cgroup in _cgroups)
        {
            cgroup.Dispose();
        }

        await Redis.DisposeAsync();
    }

    /// <summary>Containers a stopped worker left (warm pool): the node names are this run's own, nothing else is touched.</summary>
    private static async Task RemoveLeftoversAsync(IEnumerable<string> nodeNames)
    {
        using var docker = new DockerClientBuilder().WithEndpoint(new Uri("unix:///var/run/docker.sock")).WithApiVersion(System.Version.Parse("1.41")).Build();
        foreach (var name in nodeNames)
        {
            try
            {
                var leftovers = await docker.Containers.ListContainersAsync(new ContainersListParameters
                {
                    All = true,
                    Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"soulbox.node={name}"] = true } },
                });
                foreach (var container in leftovers)
                {
                    await docker.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true });
                }
            }
            catch (DockerApiException)
            {
            }
        }
    }
}
