using System.Diagnostics;
using Xunit.Abstractions;

namespace SoulBox.Cluster.Tests.Harness;

/// <summary>A SoulBox cluster of one test, made of real processes: a Redis of its own (AOF on), worker and gateway silos
/// as separate <c>dotnet SoulBox.Silo.dll</c> processes, a unique ClusterId and node names, one API key. Everything it
/// started is ended at disposal by pid (silos, Redis, extra Docker engines), and every container of its nodes is
/// removed by the node label. <see cref="RunAsync"/> prints every process's log when the test fails.</summary>
internal sealed class ClusterProcesses : IAsyncDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly List<SiloProcess> _silos = [];
    private readonly HashSet<string> _workerNames = [];
    private readonly List<Containers> _engines = [new()];
    private readonly List<IAsyncDisposable> _resources = [];
    private readonly List<GatewayApi> _apis = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private bool _failed;

    public ClusterProcesses(ITestOutputHelper output)
    {
        _output = output;
        var unique = Guid.NewGuid().ToString("N")[..8];
        Prefix = $"f{unique}";
        ClusterId = $"faults-{unique}";
        Directory = System.IO.Directory.CreateTempSubdirectory($"soulbox-faults-{unique}-").FullName;
        ApiKey = $"sb_test_{Guid.NewGuid():N}";
    }

    /// <summary>Prefix of this cluster's node names (unique per test run).</summary>
    public string Prefix { get; }

    public string ClusterId { get; }

    /// <summary>The test's temporary directory (logs, Redis data, an extra engine's data).</summary>
    public string Directory { get; }

    public string ApiKey { get; }

    public RedisServer? Redis { get; private set; }

    public IReadOnlyList<SiloProcess> Silos => _silos;

    public async Task<RedisServer> StartRedisAsync()
    {
        Redis = await RedisServer.StartAsync(Directory);
        Note($"redis on {Redis.ConnectionString} (pid {Redis.Pid})");
        return Redis;
    }

    /// <summary>Starts a worker named <c>{Prefix}-{name}</c> (python pool of <paramref name="warm"/>) and waits for its /health.</summary>
    public async Task<SiloProcess> StartWorkerAsync(string name, int warm = 1, IReadOnlyDictionary<string, string>? settings = null)
    {
        var all = CommonSettings();
        all["SoulBox__Pool__Templates__0"] = "python";
        all["SoulBox__Pool__MinWarmPerTemplate"] = warm.ToString();
        all["SoulBox__Pool__MaxWarmPerTemplate"] = Math.Max(warm, 2).ToString();
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            all[key] = value;
        }

        _workerNames.Add($"{Prefix}-{name}");
        return await StartSiloAsync("worker", $"{Prefix}-{name}", all);
    }

    /// <summary>Starts a gateway named <c>{Prefix}-{name}</c> that takes this cluster's API key, and waits for its /health.</summary>
    public async Task<SiloProcess> StartGatewayAsync(string name)
    {
        var all = CommonSettings();
        all[$"SoulBox__Auth__Keys__{ApiKey}"] = "faults";
        // The tests measure faults, not the per-tenant limiter: their loops would otherwise meet 429s.
        all["SoulBox__Limits__RequestsPerSecond"] = "0";
        all["SoulBox__Limits__MaxInFlight"] = "0";
        all["SoulBox__Limits__MaxSandboxes"] = "0";
        return await StartSiloAsync("gateway", $"{Prefix}-{name}", all);
    }

    /// <summary>Waits until <paramref name="gateway"/> is ready and its readiness names every one of
    /// <paramref name="workers"/> as a worker it can place on (what a client of that gateway can use).</summary>
    public async Task WaitForWorkersAsync(SiloProcess gateway, params SiloProcess[] workers)
    {
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        var limit = TimeSpan.FromSeconds(60);
        var waited = Stopwatch.StartNew();
        var last = "";
        while (waited.Elapsed < limit)
        {
            try
            {
                using var response = await http.GetAsync("/ready");
                last = await response.Content.ReadAsStringAsync();
                if (response.IsSuccessStatusCode && workers.All(w => last.Contains(w.NodeName, StringComparison.Ordinal)))
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message;
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"{gateway.NodeName} did not name {string.Join(", ", workers.Select(w => w.NodeName))} as ready workers within {limit.TotalSeconds:F0} s; last /ready: {last}");
    }

    public GatewayApi Api(SiloProcess gateway)
    {
        var api = new GatewayApi(gateway, ApiKey);
        _apis.Add(api);
        return api;
    }

    /// <summary>Another Docker engine whose containers of this cluster's nodes are removed at disposal, and a resource
    /// (the engine itself) ended after the silos.</summary>
    public void Track(Containers engine, IAsyncDisposable resource)
    {
        _engines.Add(engine);
        _resources.Add(resource);
    }

    /// <summary>Seconds since the cluster object was made, with a message, in the test's output.</summary>
    public void Note(string message) => _output.WriteLine($"[{_clock.Elapsed.TotalSeconds,7:F2} s] {message}");

    /// <summary>Runs the test's body; when it throws, prints the log of every process before rethrowing.</summary>
    public async Task RunAsync(Func<Task> body)
    {
        try
        {
            await body();
        }
        catch
        {
            _failed = true;
            PrintLogs();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var api in _apis)
        {
            api.Dispose();
        }

        // SIGTERM all at once: a graceful stop removes a node's own containers, and each waits up to 30 s.
        await Task.WhenAll(_silos.Select(s => s.DisposeAsync().AsTask()));
        foreach (var engine in _engines)
        {
            foreach (var node in _workerNames)
            {
                try
                {
                    await engine.RemoveNodeAsync(node);
                }
                catch (Exception e) when (e is InvalidOperationException or TimeoutException)
                {
                    _output.WriteLine($"cleanup of {node}'s containers on {engine.Socket ?? "the host engine"}: {e.Message}");
                }
            }
        }

        foreach (var resource in _resources)
        {
            await resource.DisposeAsync();
        }

        if (Redis is not null)
        {
            await Redis.DisposeAsync();
        }

        if (_failed)
        {
            _output.WriteLine($"logs kept in {Directory}");
        }
        else
        {
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException e)
            {
                _output.WriteLine($"could not delete {Directory}: {e.Message}");
            }
        }
    }

    private Dictionary<string, string> CommonSettings()
    {
        var settings = new Dictionary<string, string>
        {
            ["SoulBox__ClusterId"] = ClusterId,
        };
        if (Redis is not null)
        {
            settings["SoulBox__Redis"] = Redis.ConnectionString;
        }

        return settings;
    }

    private async Task<SiloProcess> StartSiloAsync(string role, string name, Dictionary<string, string> settings)
    {
        var silo = SiloProcess.Start(role, name, Directory, settings);
        _silos.Add(silo);
        Note($"{role} {name}: pid {silo.Pid}, HTTP {silo.HttpPort}");
        await silo.WaitHttpOkAsync("/health", TimeSpan.FromSeconds(90));
        Note($"{role} {name}: healthy");
        return silo;
    }

    private void PrintLogs()
    {
        foreach (var silo in _silos)
        {
            _output.WriteLine($"===== {silo.Role} {silo.NodeName} (pid {silo.Pid}, {(silo.HasExited ? "exited" : "running")}) {silo.LogPath}");
            _output.WriteLine(silo.Tail(200));
        }

        if (Redis is not null)
        {
            _output.WriteLine($"===== redis {Redis.ConnectionString}");
            _output.WriteLine(Redis.Log());
        }
    }
}
