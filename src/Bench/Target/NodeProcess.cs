using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SoulBox.Bench.Target;

/// <summary>What one silo process the bench starts is: its name (the prefix of its sandbox ids and the soulbox.node label of
/// its containers), role ("both" = a single node, "worker", "gateway"), the Redis of its cluster (null = a single node with
/// localhost clustering), its log file in the results directory, and extra settings as environment variables.</summary>
internal sealed record NodeSpec(string NodeName, string LogFile, int MaxSandboxes)
{
    public string Role { get; init; } = "both";
    public string? Redis { get; init; }
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
}

/// <summary>A SoulBox silo started by the bench as a child process (<c>dotnet SoulBox.Silo.dll</c>, the build next to the
/// bench's own), on free loopback ports, so its CPU and RSS are measured apart from the load generator: the single node of
/// the standard scenarios, or a worker or gateway of the scale scenario's cluster (<see cref="NodeSpec"/>).</summary>
internal sealed class NodeProcess : IAsyncDisposable
{
    private static int _nodesStarted;

    private readonly Process _process;

    private NodeProcess(Process process, string nodeName, int gatewayPort, int httpPort, string logPath, string siloPath)
    {
        _process = process;
        NodeName = nodeName;
        GatewayPort = gatewayPort;
        HttpPort = httpPort;
        LogPath = logPath;
        SiloPath = siloPath;
    }

    public int Pid => _process.Id;
    public string NodeName { get; }
    public int GatewayPort { get; }
    public int HttpPort { get; }
    public string LogPath { get; }
    public string SiloPath { get; }

    public string Role { get; private init; } = "both";

    /// <summary>The single node of the standard scenarios; its log is <c>node.log</c>.</summary>
    public static Task<NodeProcess> StartAsync(string outputDirectory, int maxSandboxes, IReadOnlyDictionary<string, string> extraEnv,
        Progress progress, CancellationToken cancellationToken) =>
        // Unique per node, not only per process: a node reaps its own name's containers at start, so two nodes of one name
        // (two bench tests running side by side in one test process, or a smoke test beside a manual run) would kill each
        // other's sandboxes.
        StartAsync(outputDirectory, new NodeSpec($"bench-{System.Environment.ProcessId}-{Interlocked.Increment(ref _nodesStarted)}", "node.log", maxSandboxes) { Environment = extraEnv }, progress, cancellationToken);

    public static async Task<NodeProcess> StartAsync(string outputDirectory, NodeSpec spec, Progress progress, CancellationToken cancellationToken)
    {
        var silo = FindSilo();
        var (siloPort, gatewayPort, httpPort) = (FreePort(), FreePort(), FreePort());
        var nodeName = spec.NodeName;
        var maxSandboxes = spec.MaxSandboxes;
        var logPath = Path.Combine(outputDirectory, spec.LogFile);
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { silo },
            WorkingDirectory = RepositoryRoot() ?? Directory.GetCurrentDirectory(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["SoulBox__NodeName"] = nodeName;
        start.Environment["SoulBox__Role"] = spec.Role;
        if (spec.Redis is not null)
        {
            start.Environment["SoulBox__Redis"] = spec.Redis;
        }

        start.Environment["SoulBox__SiloPort"] = siloPort.ToString();
        start.Environment["SoulBox__GatewayPort"] = gatewayPort.ToString();
        start.Environment["SoulBox__Sandbox__MaxSandboxesPerNode"] = maxSandboxes.ToString();
        start.Environment["Urls"] = $"http://127.0.0.1:{httpPort}";
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{httpPort}";
        // A worker-only node listens only when told where: the bench reads its /health and /metrics.
        start.Environment["SoulBox__Http__Urls"] = $"http://127.0.0.1:{httpPort}";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__SoulBox"] = "Information";
        // The bench is the only tenant of its own node: the gateway's per-tenant rate and sandbox limits would
        // measure the limiter, not the node (they are a policy setting, not a capacity).
        start.Environment["SoulBox__Limits__RequestsPerSecond"] = "0";
        start.Environment["SoulBox__Limits__MaxSandboxes"] = "0";
        // Likewise the node's fair share of one-shot slots between tenants: one tenant may take every slot, wait
        // in a queue as deep as its users, and wait as long as a run may last (no scenario runs one-shot
        // executions today; these keep a future one measuring the node rather than the 429/503 of its share).
        start.Environment["SoulBox__Sandbox__TenantExecutionShare"] = "1";
        start.Environment["SoulBox__Sandbox__MaxQueuedExecutionsPerTenant"] = "100000";
        start.Environment["SoulBox__Sandbox__ExecutionQueueTimeoutMs"] = "600000";
        // Up to 1,000 users share at most MaxSandboxes sandboxes: the per-tenant and per-sandbox in-flight limits
        // would turn the throughput levels into 429s (they bound a hostile tenant, not the node's capacity).
        start.Environment["SoulBox__Limits__MaxInFlight"] = "0";
        start.Environment["SoulBox__Sandbox__MaxRequestsInFlight"] = "0";
        // The bench's sandboxes are its own: at the end they are not waited for (DisposeAsync waits 30 s for the exit).
        start.Environment["SoulBox__Drain__DeadlineSeconds"] = "0";
        foreach (var (key, value) in spec.Environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        var log = new StreamWriter(logPath, append: false) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var node = new NodeProcess(process, nodeName, gatewayPort, httpPort, logPath, silo) { Role = spec.Role };
        progress.Info($"{(spec.Role == "both" ? "node" : $"{spec.Role} {nodeName}")}: pid {process.Id}, {silo}, Orleans gateway 127.0.0.1:{gatewayPort}, HTTP 127.0.0.1:{httpPort}, log {logPath}");

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(2) };
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the node exited with code {process.ExitCode} during start-up; see {logPath}:\n{Tail(logPath)}");
            }

            try
            {
                using var response = await http.GetAsync("/health", cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    progress.Info($"{nodeName}: up after {waited.Elapsed.TotalSeconds:F1} s");
                    return node;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }

            await Task.Delay(200, cancellationToken);
        }

        await node.DisposeAsync();
        throw new TimeoutException($"the node did not answer GET /health within 90 s; see {logPath}");
    }

    private static void Append(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.WriteLine(line);
        }
    }

    private static string Tail(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var lines = reader.ReadToEnd().Split('\n');
            return string.Join('\n', lines.TakeLast(30));
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>The silo build next to the bench's (same configuration): artifacts/build/bin/SoulBox.Silo/&lt;cfg&gt;/.</summary>
    private static string FindSilo()
    {
        if (Environment.GetEnvironmentVariable("SOULBOX_BENCH_SILO") is { Length: > 0 } fromEnvironment)
        {
            return Path.GetFullPath(fromEnvironment);
        }

        var benchDirectory = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = benchDirectory.Name;
        var binDirectory = benchDirectory.Parent?.Parent;
        var candidate = binDirectory is null ? null : Path.Combine(binDirectory.FullName, "SoulBox.Silo", configuration, "SoulBox.Silo.dll");
        return candidate is not null && File.Exists(candidate)
            ? candidate
            : throw new FileNotFoundException($"SoulBox.Silo.dll not found at {candidate}; build the solution (or set SOULBOX_BENCH_SILO).");
    }

    public static string? RepositoryRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "SoulBox.sln")))
                {
                    return directory.FullName;
                }
            }
        }

        return null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM: the host shuts down gracefully and removes its sandboxes' containers.
            Process.Start("kill", ["-TERM", _process.Id.ToString()])?.WaitForExit();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }
}
