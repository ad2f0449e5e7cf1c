using System.Collections.Concurrent;
using System.Diagnostics;
using SoulBox.Bench.Measurement;
using SoulBox.Bench.Target;

namespace SoulBox.Bench.Scale;

/// <summary>The scale scenario: for each worker count, a fresh cluster (<see cref="ScaleCluster"/>), sandboxes placed by the
/// cluster through the gateway, then the throughput scenario's closed-loop fib(10) load (users bound round-robin to
/// sandboxes), with every process's CPU, each worker's sandbox budget, Redis and the silos' Orleans counters measured
/// over the window. Users and sandboxes grow with the workers, so each worker is offered the same load.</summary>
internal sealed class ScaleRunner(ScaleOptions options, Progress progress, ScaleResults results, string output)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        foreach (var workers in options.Workers)
        {
            progress.Phase($"scale: {workers} worker(s) behind one gateway, {options.WorkerCpus:0.###} CPU of sandboxes each");
            await using var cluster = await ScaleCluster.StartAsync(options, workers, output, progress, cancellationToken);
            var point = await MeasureAsync(cluster, workers, cancellationToken);
            results.Points.Add(point);
            Report(point);
            progress.Info("stopping the cluster");
        }

        var one = results.Points.FirstOrDefault(p => p.Workers == 1);
        var two = results.Points.FirstOrDefault(p => p.Workers == 2);
        if (one is { Rps: > 0 } && two is not null)
        {
            results.Ratio2To1 = two.Rps / one.Rps;
        }
    }

    private async Task<ScalePoint> MeasureAsync(ScaleCluster cluster, int workers, CancellationToken cancellationToken)
    {
        var driver = cluster.Driver;
        var sandboxes = await CreateSandboxesAsync(driver, options.SandboxesPerWorker * workers, cancellationToken);
        try
        {
            var spread = sandboxes.GroupBy(s => SoulBox.SandboxIds.NodeOf(s.Id) ?? "?").ToDictionary(g => g.Key, g => g.Count());
            progress.Info($"placement: {string.Join(", ", spread.OrderBy(s => s.Key).Select(s => $"{s.Key} {s.Value}"))}");

            // Let the pools refill (container starts) before the window: their CPU would land in the sandbox budgets.
            await Task.Delay(options.Quick ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(5), cancellationToken);

            var users = options.UsersPerWorker * workers;
            var processes = cluster.Silos.Select(s => (s.NodeName, s.Role, s.Pid)).Append(("redis-server", "redis", cluster.Redis.Pid)).ToList();
            var sampler = new ScaleSampler(processes, [.. cluster.Workers.Select(w => (w.Node.NodeName, w.Cgroup))]);
            var byWorker = new ConcurrentDictionary<string, int>();
            var inWindow = 0;
            Dictionary<string, double> gatewayBefore = [], workersBefore = [], gatewayAfter = [], workersAfter = [];
            long commandsBefore = 0, commandsAfter = 0;
            var redisStarted = 0L;
            double redisSeconds = 0;
            ScaleResources? resources = null;
            var hooks = new WindowHooks(
                async () =>
                {
                    (gatewayBefore, workersBefore) = await CountersAsync(cluster, cancellationToken);
                    commandsBefore = await cluster.Redis.InfoFieldAsync("total_commands_processed", cancellationToken) ?? 0;
                    redisStarted = Stopwatch.GetTimestamp();
                    sampler.Start();
                    Volatile.Write(ref inWindow, 1);
                },
                async () =>
                {
                    Volatile.Write(ref inWindow, 0);
                    resources = await sampler.StopAsync();
                    commandsAfter = await cluster.Redis.InfoFieldAsync("total_commands_processed", cancellationToken) ?? 0;
                    redisSeconds = Stopwatch.GetElapsedTime(redisStarted).TotalSeconds;
                    (gatewayAfter, workersAfter) = await CountersAsync(cluster, cancellationToken);
                });
            progress.Phase($"throughput via {driver.Name} through the gateway: {users} users on {sandboxes.Count} sandboxes, fib(10), warm-up {options.Warmup.TotalSeconds:F0} s + window {options.Window.TotalSeconds:F0} s");
            var window = await LoadRunner.ClosedLoopAsync($"{workers} worker(s)", users, async (user, ct) =>
            {
                var sandbox = sandboxes[user % sandboxes.Count];
                var error = (await driver.RunAsync(sandbox, Workloads.FibPython, SoulBox.Languages.Python, ct)).Check(Workloads.FibOutput);
                if (error is null && Volatile.Read(ref inWindow) == 1)
                {
                    byWorker.AddOrUpdate(SoulBox.SandboxIds.NodeOf(sandbox.Id) ?? "?", 1, (_, n) => n + 1);
                }

                return error;
            }, options.Warmup, options.Window, progress, sampler: null, cancellationToken, hooks);
            var measured = resources ?? throw new InvalidOperationException("the window's resources were not sampled");
            var requests = window.Rps * window.Seconds;
            return new ScalePoint
            {
                Workers = workers,
                Users = users,
                Sandboxes = sandboxes.Count,
                Rps = window.Rps,
                Latency = window.Latency,
                Resources = measured,
                Spread = spread,
                RpsByWorker = byWorker.ToDictionary(w => w.Key, w => w.Value / window.Seconds),
                Redis = await RedisFiguresAsync(cluster, commandsAfter - commandsBefore, redisSeconds, measured, cancellationToken),
                GatewayOrleansPerRequest = OrleansCounters.PerRequest(gatewayBefore, gatewayAfter, requests),
                WorkersOrleansPerRequest = OrleansCounters.PerRequest(workersBefore, workersAfter, requests),
            };
        }
        finally
        {
            progress.Info($"removing {sandboxes.Count} sandboxes");
            await Parallel.ForEachAsync(sandboxes, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (s, _) => await KillQuietlyAsync(driver, s));
        }
    }

    /// <summary>The gateway's factory caches the workers' loads for 0.5 s: creates closer together than that are placed on
    /// the same stale loads, and a burst of two can land both on one worker (seen: 2 of 2). One create every 0.6 s lets
    /// load-aware placement see each sandbox, as it would with sandboxes arriving over time.</summary>
    private static readonly TimeSpan CreateSpacing = TimeSpan.FromMilliseconds(600);

    private async Task<List<BenchSandbox>> CreateSandboxesAsync(ISandboxDriver driver, int count, CancellationToken cancellationToken)
    {
        progress.Info($"creating {count} python sandboxes through the gateway, one every {CreateSpacing.TotalSeconds:F1} s (the cluster places them)");
        var created = new List<BenchSandbox>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var started = Stopwatch.GetTimestamp();
                var sandbox = await driver.CreateAsync(Templates.Python, cancellationToken);
                created.Add(sandbox);
                await driver.RunAsync(sandbox, Workloads.HelloPython, SoulBox.Languages.Python, cancellationToken);
                var left = CreateSpacing - Stopwatch.GetElapsedTime(started);
                if (left > TimeSpan.Zero && i < count - 1)
                {
                    await Task.Delay(left, cancellationToken);
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            await Parallel.ForEachAsync(created, async (s, _) => await KillQuietlyAsync(driver, s));
            throw new InvalidOperationException($"sandbox {created.Count + 1} of {count} could not be created or run: {e.Message}", e);
        }

        return created;
    }

    private static async Task KillQuietlyAsync(ISandboxDriver driver, BenchSandbox sandbox)
    {
        try
        {
            await driver.KillAsync(sandbox);
        }
        catch (Exception)
        {
            // Best effort: the cluster's stop removes what is left.
        }
    }

    private static async Task<(Dictionary<string, double> Gateway, Dictionary<string, double> Workers)> CountersAsync(ScaleCluster cluster, CancellationToken cancellationToken)
    {
        var gateway = await OrleansCounters.ReadAsync(cluster.Http, cluster.Gateway.HttpPort, cancellationToken);
        var workers = new Dictionary<string, double>();
        foreach (var (node, _) in cluster.Workers)
        {
            workers = OrleansCounters.Add(workers, await OrleansCounters.ReadAsync(cluster.Http, node.HttpPort, cancellationToken));
        }

        return (gateway, workers);
    }

    private static async Task<RedisFigures> RedisFiguresAsync(ScaleCluster cluster, long commands, double seconds, ScaleResources resources, CancellationToken cancellationToken)
    {
        var keys = (await cluster.Redis.CommandAsync("KEYS *", cancellationToken) ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            if (long.TryParse((await cluster.Redis.CommandAsync($"MEMORY USAGE \"{key}\"", cancellationToken))?.TrimStart(':'), out var b))
            {
                sizes[key] = b;
            }
        }

        return new RedisFigures
        {
            CommandsPerSecond = seconds <= 0 ? 0 : commands / seconds,
            Keys = keys.Length,
            ClusterKeyBytes = sizes.Values.Sum(),
            // Orleans' Redis membership table is one key named "<service>/members/<cluster>".
            MembershipBytes = sizes.Where(k => k.Key.Contains("/members/", StringComparison.Ordinal)).Sum(k => k.Value),
            KeyBytes = sizes,
            ConnectedClients = (int)(await cluster.Redis.InfoFieldAsync("connected_clients", cancellationToken) ?? 0),
            RedisCpuPercentOfCore = resources.Processes.FirstOrDefault(p => p.Role == "redis")?.MeanPercentOfCore ?? 0,
        };
    }

    private void Report(ScalePoint p)
    {
        var r = p.Resources;
        progress.Info($"{p.Workers} worker(s): {p.Rps:F1} req/s, P50 {p.Latency.P50Ms:F1} ms, P95 {p.Latency.P95Ms:F1} ms, errors {p.Latency.Errors}; " +
            $"CPU per request {p.CpuMsPerRequest:F2} ms (gateway {p.GatewayCpuMsPerRequest:F2}, worker host {p.WorkerHostCpuMsPerRequest:F2}, of which sandboxes {p.SandboxCpuMsPerRequest:F2}); machine {r.MachineCpuPercent:F0} % (peak {r.MachinePeakCpuPercent:F0} %)");
        foreach (var process in r.Processes.OrderByDescending(x => x.MeanPercentOfCore))
        {
            progress.Info($"  {process.Name,-28} {process.MeanPercentOfCore,5:F0} % of a core (peak {process.PeakPercentOfCore:F0} %)");
        }

        foreach (var budget in r.Budgets)
        {
            progress.Info($"  sandboxes of {budget.Worker,-16} {budget.QuotaUsedPercent,5:F0} % of their {budget.QuotaCpus:0.###}-core quota, throttled in {budget.ThrottledPeriodsPercent:F0} % of periods");
        }

        foreach (var flag in ScaleAnalysis.HeadroomFlags(p, options.HeadroomPercentOfCore))
        {
            progress.Info($"  HEADROOM: {flag}");
            results.HeadroomFlags.Add(flag);
        }
    }
}
