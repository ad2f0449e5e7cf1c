using System.Collections.Concurrent;
using System.Diagnostics;
using SoulBox.Bench.Baselines;
using SoulBox.Bench.Measurement;
using SoulBox.Bench.Results;
using SoulBox.Bench.Target;
using SoulBox.Client;

namespace SoulBox.Bench.Scenarios;

/// <summary>Runs the chosen scenarios in order against the target and the Docker baselines, filling
/// <see cref="BenchResults"/>. Each scenario prints a phase line; load windows tick while they run.</summary>
internal sealed class BenchRunner(BenchOptions options, Progress progress, BenchResults results, SoulBoxTarget target, DockerBaselines docker)
{
    public const string SoulBoxPrefix = "soulbox-";
    public const string DockerRun = "docker-run";
    public const string DockerExec = "docker-exec";
    /// <summary>A Jupyter kernel driven by jupyter_client (the peer a hosted code interpreter is).</summary>
    public const string JupyterKernel = "jupyter-kernel";

    /// <summary>Throughput sandboxes per driver, created lazily as the levels grow (level L uses min(L, max)).</summary>
    private readonly Dictionary<string, List<BenchSandbox>> _pool = [];

    private static string SystemOf(ISandboxDriver driver) => SoulBoxPrefix + driver.Name;

    /// <summary>A warm sandbox pool (PoolManagerGrain, design brief §2) shows up as its grain interface in the contract assembly.</summary>
    private static Type? PoolContract { get; } =
        typeof(SandboxInfo).Assembly.GetTypes().FirstOrDefault(t => t.IsInterface && t.Name.Contains("PoolManager", StringComparison.Ordinal));

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        results.Run.PoolAvailable = PoolContract is not null;
        await IdleAsync(cancellationToken);
        if (options.Scenarios.Contains("coldstart")) await ColdStartAsync(cancellationToken);
        if (options.Scenarios.Contains("pool")) await PoolAsync(cancellationToken);
        if (options.Scenarios.Contains("warm")) await WarmAsync(cancellationToken);

        // One transport at a time keeps at most --sandboxes throughput sandboxes alive (and the memory figures clean).
        foreach (var driver in target.Drivers.Where(d => !d.WarmAndColdOnly))
        {
            try
            {
                if (options.Scenarios.Contains("throughput")) await ThroughputAsync(driver, cancellationToken);
                if (options.Scenarios.Contains("cpu")) await CpuAsync(driver, cancellationToken);
            }
            finally
            {
                await ReleasePoolAsync(driver);
            }
        }

        if (options.Baselines && options.Jupyter && (options.Scenarios.Contains("warm") || options.Scenarios.Contains("throughput")))
        {
            await new JupyterBaselineScenario(options, progress, results, docker).RunAsync(cancellationToken);
        }

        if (options.Baselines && options.Scenarios.Contains("throughput")) await ThroughputBaselinesAsync(cancellationToken);
        if (options.Baselines && options.Scenarios.Contains("cpu")) await CpuBaselinesAsync(cancellationToken);

        if (options.Scenarios.Contains("languages")) await LanguagesAsync(cancellationToken);
        if (options.Scenarios.Contains("gateway")) Gateway();
    }

    private ResourceSampler SoulBoxSampler() =>
        new(target.SiloPid, ct => docker.ContainerIdsAsync(target.ContainerLabel, ct));

    private ResourceSampler BaselineSampler() =>
        new(null, ct => docker.ContainerIdsAsync(DockerBaselines.Label, ct));

    // ---------------------------------------------------------------- idle

    private async Task IdleAsync(CancellationToken cancellationToken)
    {
        var (settle, window) = options.Quick ? (TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)) : (TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));
        progress.Phase($"idle: {BenchResults.IdleNodeLabel} (no sandboxes; {window.TotalSeconds:F0} s after the pool holds a warm container per template and {settle.TotalSeconds:F0} s to settle)");
        await WaitForFilledPoolAsync(options.Quick ? TimeSpan.FromSeconds(60) : TimeSpan.FromSeconds(120), cancellationToken);
        await Task.Delay(settle, cancellationToken);
        var sampler = SoulBoxSampler();
        sampler.Start();
        await Task.Delay(window, cancellationToken);
        results.IdleNode = await sampler.StopAsync();
        progress.Info($"{BenchResults.IdleNodeLabel}: {results.IdleNode.SiloRssMeanMb:F1} MB (silo CPU {results.IdleNode.SiloCpuPercent:F1} %, machine CPU {results.IdleNode.MachineCpuPercent:F1} %, " +
            $"{results.IdleNode.Containers} containers, warm {string.Join(", ", results.IdleNodeWarmContainers.Select(w => $"{w.Key} {w.Value}"))})");
    }

    /// <summary>Waits until the node's warm pool holds a container for every template the cluster lists (its gauge on
    /// /metrics), so the idle figure is the node as it stands ready to serve; records what it saw either way.</summary>
    private async Task WaitForFilledPoolAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        // Registered templates (SoulBox:Templates:<name>:MinWarm defaults to 0) and the language templates (not in
        // SoulBox:Pool:Templates) are warmed on demand only.
        var templates = (await target.Client.GetTemplatesAsync(cancellationToken))
            .Where(t => t.Available && !t.Custom && !SoulBox.Templates.Optional.Contains(t.Name)).Select(t => t.Name).ToList();
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var warm = await target.WarmContainersAsync(cancellationToken);
            results.IdleNodeWarmContainers = warm ?? [];
            results.IdleNodePoolFilled = warm is not null && templates.All(t => warm.GetValueOrDefault(t) > 0);
            if (results.IdleNodePoolFilled)
            {
                progress.Info($"warm pool filled after {waited.Elapsed.TotalSeconds:F1} s: {string.Join(", ", warm!.Select(w => $"{w.Key} {w.Value}"))}");
                return;
            }

            if (warm is null || waited.Elapsed > timeout)
            {
                progress.Info(warm is null
                    ? "warm pool: the node's /metrics does not answer; sampling without knowing whether the pool is filled"
                    : $"warm pool NOT filled after {timeout.TotalSeconds:F0} s (warm: {string.Join(", ", warm.Select(w => $"{w.Key} {w.Value}"))}; templates: {string.Join(", ", templates)}); sampling anyway");
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }
    }

    // ---------------------------------------------------------------- cold start

    private async Task ColdStartAsync(CancellationToken cancellationToken)
    {
        var workload = Workloads.Python;
        foreach (var driver in target.Drivers)
        {
            progress.Phase($"cold start via {driver.Name}: create a python sandbox + run print('Hello World'), {options.ColdIterations} times back to back"
                + (PoolContract is null ? " (no warm pool in this build: a container start per sandbox)" : " (the warm pool may run dry)"));
            var (total, create, firstRun, agent) = await MeasureColdAsync(driver, workload, options.ColdIterations, TimeSpan.Zero, cancellationToken);
            results.Series.Add(new SeriesResult("coldstart", SystemOf(driver), "create + hello", total));
            results.Stages.Add(new StageTiming("coldstart", $"{driver.Name}: create sandbox" + (PoolContract is null ? " (container start + agent connect)" : " (pool claim or container start)"), create.P50Ms, create.P95Ms));
            results.Stages.Add(new StageTiming("coldstart", $"{driver.Name}: first run (round trip)", firstRun.P50Ms, firstRun.P95Ms));
            if (driver.ReportsAgentTime)
            {
                results.Stages.Add(new StageTiming("coldstart", $"{driver.Name}: first run (inside the agent)", agent.P50Ms, agent.P95Ms));
            }

            progress.Info($"{driver.Name}: P50 {total.P50Ms:F0} ms (create {create.P50Ms:F0} + run {firstRun.P50Ms:F1}), P95 {total.P95Ms:F0} ms, errors {total.Errors}");
        }

        if (options.Baselines)
        {
            progress.Phase($"cold start baseline: docker run --rm python3 -c print, {options.BaselineIterations} times");
            var run = await SequentialAsync("docker run --rm", options.BaselineIterations, 1,
                ct => DockerBaselines.RunRmAsync(workload.Template, workload, workload.DockerCommand, workload.ExpectedOutput, ct), cancellationToken);
            results.Series.Add(new SeriesResult("coldstart", DockerRun, "create + hello", run));
            progress.Info($"docker run --rm: P50 {run.P50Ms:F0} ms, P95 {run.P95Ms:F0} ms, errors {run.Errors}");
        }
    }

    private async Task<(LatencyStats Total, LatencyStats Create, LatencyStats FirstRun, LatencyStats Agent)> MeasureColdAsync(
        ISandboxDriver driver, LanguageWorkload workload, int iterations, TimeSpan pause, CancellationToken cancellationToken)
    {
        var total = new LatencyRecorder();
        var create = new LatencyRecorder();
        var firstRun = new LatencyRecorder();
        var agent = new LatencyRecorder();
        await using var ticker = progress.Ticker("cold start", () => $"{total.Samples.Count}/{iterations}");
        for (var i = 0; i < iterations; i++)
        {
            BenchSandbox? sandbox = null;
            var started = Stopwatch.GetTimestamp();
            try
            {
                sandbox = await driver.CreateAsync(workload.Template, cancellationToken);
                var created = Stopwatch.GetTimestamp();
                var run = await driver.RunAsync(sandbox, workload.Code, workload.Language, cancellationToken);
                var ended = Stopwatch.GetTimestamp();
                if (run.Check(workload.ExpectedOutput) is { } error)
                {
                    total.Error(error);
                    continue;
                }

                total.Record(Stopwatch.GetElapsedTime(started, ended).TotalMilliseconds);
                create.Record(Stopwatch.GetElapsedTime(started, created).TotalMilliseconds);
                firstRun.Record(Stopwatch.GetElapsedTime(created, ended).TotalMilliseconds);
                agent.Record(run.AgentWallMs);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                total.Error(LatencyRecorder.KindOf(e));
            }
            finally
            {
                if (sandbox is not null)
                {
                    await KillQuietlyAsync(driver, sandbox);
                }
            }

            if (pause > TimeSpan.Zero)
            {
                await Task.Delay(pause, cancellationToken);
            }
        }

        return (LatencyStats.From(total.Samples, total.Errors), LatencyStats.From(create.Samples), LatencyStats.From(firstRun.Samples), LatencyStats.From(agent.Samples));
    }

    // ---------------------------------------------------------------- warm pool

    private async Task PoolAsync(CancellationToken cancellationToken)
    {
        progress.Phase("cold start with a warm pool");
        var poolContract = PoolContract;
        if (poolContract is null)
        {
            const string reason = "this build has no warm sandbox pool (no PoolManagerGrain); every sandbox creation starts a container, which the cold-start rows measure";
            progress.NotAvailable("warm-pool cold start", reason);
            results.Skipped.Add(new SkipNote("pool", reason));
            return;
        }

        progress.Info($"pool contract found ({poolContract.Name}); waiting 10 s for the pool to fill, then creating one sandbox every 0.5 s");
        await Task.Delay(TimeSpan.FromSeconds(10), cancellationToken);
        foreach (var driver in target.Drivers)
        {
            var (total, create, _, _) = await MeasureColdAsync(driver, Workloads.Python, options.ColdIterations, TimeSpan.FromMilliseconds(500), cancellationToken);
            results.Series.Add(new SeriesResult("pool", SystemOf(driver), "create + hello (warm pool)", total));
            results.Stages.Add(new StageTiming("pool", $"{driver.Name}: create sandbox from the pool", create.P50Ms, create.P95Ms));
            progress.Info($"{driver.Name}: P50 {total.P50Ms:F1} ms, P95 {total.P95Ms:F1} ms, errors {total.Errors}");
        }
    }

    // ---------------------------------------------------------------- warm execution

    private async Task WarmAsync(CancellationToken cancellationToken)
    {
        var workload = Workloads.Python;
        foreach (var driver in target.Drivers)
        {
            progress.Phase($"warm execution via {driver.Name}: print('Hello World') in one existing python sandbox, {options.WarmIterations} times");
            var sandbox = await driver.CreateAsync(workload.Template, cancellationToken);
            try
            {
                var rtt = new LatencyRecorder();
                var agent = new LatencyRecorder();
                await using (progress.Ticker("warm", () => $"{rtt.Samples.Count}/{options.WarmIterations}"))
                {
                    for (var i = -10; i < options.WarmIterations; i++)
                    {
                        var started = Stopwatch.GetTimestamp();
                        try
                        {
                            var run = await driver.RunAsync(sandbox, workload.Code, workload.Language, cancellationToken);
                            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                            if (i < 0)
                            {
                                continue;
                            }

                            if (run.Check(workload.ExpectedOutput) is { } error)
                            {
                                rtt.Error(error);
                            }
                            else
                            {
                                rtt.Record(ms);
                                agent.Record(run.AgentWallMs);
                            }
                        }
                        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                        {
                            rtt.Error(LatencyRecorder.KindOf(e));
                        }
                    }
                }

                var stats = LatencyStats.From(rtt.Samples, rtt.Errors);
                var inside = LatencyStats.From(agent.Samples);
                var overhead = LatencyStats.From(rtt.Samples.Zip(agent.Samples, (a, b) => a - b).ToList());
                results.Series.Add(new SeriesResult("warm", SystemOf(driver), "hello", stats));
                results.Stages.Add(new StageTiming("warm", $"{driver.Name}: round trip", stats.P50Ms, stats.P95Ms));
                if (driver.ReportsAgentTime)
                {
                    results.Stages.Add(new StageTiming("warm", $"{driver.Name}: inside the agent (kernel run)", inside.P50Ms, inside.P95Ms));
                    results.Stages.Add(new StageTiming("warm", $"{driver.Name}: transport + grain + agent protocol (round trip − agent)", overhead.P50Ms, overhead.P95Ms));
                }

                progress.Info($"{driver.Name}: P50 {stats.P50Ms:F2} ms, P95 {stats.P95Ms:F2} ms, P99 {stats.P99Ms:F2} ms" + (driver.ReportsAgentTime ? $" (agent {inside.P50Ms:F2} ms)" : "") + $", errors {stats.Errors}");

                if (driver is ClientDriver && sandbox.Handle is Sandbox handle)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                    var containerId = await ContainerIdOfAsync(sandbox, cancellationToken);
                    await docker.LocateAsync(containerId, cancellationToken);
                    results.IdleSandboxMb = ContainerMemory.WorkingSetBytes(containerId) / 1048576.0;
                    progress.Info($"idle warm python sandbox (after runs): {results.IdleSandboxMb:F1} MB cgroup working set");
                }
            }
            finally
            {
                await KillQuietlyAsync(driver, sandbox);
            }
        }

        if (options.Baselines)
        {
            progress.Phase($"warm execution baseline: docker exec python3 -c print into a warm container, {options.BaselineIterations} times");
            var container = await docker.WarmContainerAsync(workload.Template, cancellationToken);
            await docker.ExecAsync(container, workload, workload.DockerCommand, workload.ExpectedOutput, cancellationToken);
            var exec = await SequentialAsync("docker exec", options.BaselineIterations, 1,
                ct => docker.ExecAsync(container, workload, workload.DockerCommand, workload.ExpectedOutput, ct), cancellationToken);
            results.Series.Add(new SeriesResult("warm", DockerExec, "hello", exec));
            progress.Info($"docker exec: P50 {exec.P50Ms:F0} ms, P95 {exec.P95Ms:F0} ms, errors {exec.Errors}");
        }
    }

    // ---------------------------------------------------------------- throughput and memory

    private async Task ThroughputAsync(ISandboxDriver driver, CancellationToken cancellationToken)
    {
        var workload = Workloads.Python;
        var levels = options.Users.Order().ToArray();
        var note = $"Throughput levels above {options.MaxSandboxes} users share {options.MaxSandboxes} sandboxes round-robin (user u runs in sandbox u mod {options.MaxSandboxes}); below, each user has its own sandbox.";
        if (levels.Max() > options.MaxSandboxes && !results.Run.Notes.Contains(note))
        {
            results.Run.Notes.Add(note);
        }

        foreach (var users in levels)
        {
            var sandboxes = await EnsurePoolAsync(driver, Math.Min(users, options.MaxSandboxes), cancellationToken);
            progress.Phase($"throughput via {driver.Name}: {users} users on {sandboxes.Count} sandboxes, fib(10), warm-up {options.Warmup.TotalSeconds:F0} s + window {options.Window.TotalSeconds:F0} s");
            var window = await LoadRunner.ClosedLoopAsync($"{users} users", users,
                async (user, ct) => (await driver.RunAsync(sandboxes[user % sandboxes.Count], Workloads.FibPython, workload.Language, ct)).Check(Workloads.FibOutput),
                options.Warmup, options.Window, progress, SoulBoxSampler(), cancellationToken);
            results.Throughput.Add(new ThroughputPoint(SystemOf(driver), users, sandboxes.Count, window.Rps, window.Latency, window.Resources));
            Report(window);
        }
    }

    private async Task ThroughputBaselinesAsync(CancellationToken cancellationToken)
    {
        var workload = Workloads.Python;
        var container = await docker.WarmContainerAsync(workload.Template, cancellationToken);
        foreach (var users in options.BaselineUsers.Order())
        {
            progress.Phase($"throughput baseline: docker exec fib(10), {users} concurrent, into one warm container");
            var exec = await LoadRunner.ClosedLoopAsync($"docker exec {users}", users,
                (_, ct) => docker.ExecAsync(container, workload, ["python3", "-c", Workloads.FibPython], Workloads.FibOutput, ct),
                options.Warmup, options.Window, progress, BaselineSampler(), cancellationToken);
            results.Throughput.Add(new ThroughputPoint(DockerExec, users, 1, exec.Rps, exec.Latency, exec.Resources));
            Report(exec);

            progress.Phase($"throughput baseline: docker run --rm fib(10), {users} concurrent");
            var run = await LoadRunner.ClosedLoopAsync($"docker run {users}", users,
                (_, ct) => DockerBaselines.RunRmAsync(workload.Template, workload, ["python3", "-c", Workloads.FibPython], Workloads.FibOutput, ct),
                options.Warmup, options.Window, progress, BaselineSampler(), cancellationToken);
            results.Throughput.Add(new ThroughputPoint(DockerRun, users, users, run.Rps, run.Latency, run.Resources));
            Report(run);
        }
    }

    private void Report(WindowResult window) => progress.Info(Describe(window));

    /// <summary>One line per load window: rate, latency, errors by kind, where the CPU went, memory.</summary>
    public static string Describe(WindowResult window)
    {
        var r = window.Resources;
        return $"{window.Rps:F0} req/s, P50 {window.Latency.P50Ms:F1} ms, P95 {window.Latency.P95Ms:F1} ms, P99 {window.Latency.P99Ms:F1} ms, errors {window.Latency.Errors}"
            + (window.Latency.Errors > 0 ? $" ({string.Join(", ", window.Latency.ErrorsByKind.Select(e => $"{e.Key}: {e.Value}"))})" : "")
            + (r is null ? "" : $"; CPU machine {r.MachineCpuPercent:F0} % (silo {r.SiloCpuPercent:F0} %, sandboxes {r.SandboxCpuPercent:F0} %, engine {r.EngineCpuPercent:F0} %, bench {r.BenchCpuPercent:F0} %, other {r.OtherCpuPercent:F0} %); silo RSS {r.SiloRssPeakMb:F0} MB, sandboxes {r.SandboxMemoryPeakMb:F0} MB in {r.Containers} containers");
    }

    private async Task<List<BenchSandbox>> EnsurePoolAsync(ISandboxDriver driver, int count, CancellationToken cancellationToken)
    {
        if (!_pool.TryGetValue(driver.Name, out var sandboxes))
        {
            _pool[driver.Name] = sandboxes = [];
        }

        if (sandboxes.Count >= count)
        {
            return sandboxes[..count];
        }

        var missing = count - sandboxes.Count;
        progress.Phase($"creating {missing} python sandboxes via {driver.Name} (4 at a time)");
        var created = new ConcurrentBag<BenchSandbox>();
        var failures = new ConcurrentQueue<Exception>();
        var started = Stopwatch.GetTimestamp();
        await using (progress.Ticker("creating", () => $"{created.Count}/{missing}"))
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, missing), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (_, ct) =>
            {
                try
                {
                    var sandbox = await driver.CreateAsync(Templates.Python, ct);
                    await driver.RunAsync(sandbox, Workloads.HelloPython, SoulBox.Languages.Python, ct);
                    created.Add(sandbox);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    failures.Enqueue(e);
                }
            });
        }

        sandboxes.AddRange(created);
        progress.Info($"{created.Count} created in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s" + (failures.IsEmpty ? "" : $", {failures.Count} failed (first: {failures.First().Message})"));
        if (sandboxes.Count == 0)
        {
            throw new InvalidOperationException($"no sandbox could be created via {driver.Name}: {failures.FirstOrDefault()?.Message}");
        }

        return sandboxes[..Math.Min(count, sandboxes.Count)];
    }

    private async Task ReleasePoolAsync(ISandboxDriver driver)
    {
        if (_pool.Remove(driver.Name, out var sandboxes) && sandboxes.Count > 0)
        {
            progress.Phase($"removing {sandboxes.Count} sandboxes via {driver.Name}");
            await Parallel.ForEachAsync(sandboxes, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (s, _) => await KillQuietlyAsync(driver, s));
        }
    }

    // ---------------------------------------------------------------- CPU at offered load

    private async Task CpuAsync(ISandboxDriver driver, CancellationToken cancellationToken)
    {
        var workload = Workloads.Python;
        var sandboxes = await EnsurePoolAsync(driver, options.MaxSandboxes, cancellationToken);
        foreach (var rate in options.Rates)
        {
            progress.Phase($"CPU via {driver.Name}: {rate} req/s offered (open loop) on {sandboxes.Count} sandboxes, fib(10)");
            var window = await LoadRunner.OpenLoopAsync($"{rate} req/s", rate,
                async (i, ct) => (await driver.RunAsync(sandboxes[i % sandboxes.Count], Workloads.FibPython, workload.Language, ct)).Check(Workloads.FibOutput),
                options.Warmup, options.Window, progress, SoulBoxSampler(), maxOutstanding: 2000, cancellationToken);
            results.Cpu.Add(new CpuPoint(SystemOf(driver), rate, window.Rps, window.Latency, window.Resources!));
            Report(window);
        }
    }

    private async Task CpuBaselinesAsync(CancellationToken cancellationToken)
    {
        var workload = Workloads.Python;
        var container = await docker.WarmContainerAsync(workload.Template, cancellationToken);
        foreach (var rate in options.Rates.Order().Take(2))
        {
            progress.Phase($"CPU baseline: docker exec fib(10) at {rate} req/s offered (at most 20 in flight)");
            var window = await LoadRunner.OpenLoopAsync($"docker exec {rate} req/s", rate,
                (_, ct) => docker.ExecAsync(container, workload, ["python3", "-c", Workloads.FibPython], Workloads.FibOutput, ct),
                options.Warmup, options.Window, progress, BaselineSampler(), maxOutstanding: 20, cancellationToken);
            results.Cpu.Add(new CpuPoint(DockerExec, rate, window.Rps, window.Latency, window.Resources!));
            Report(window);
        }
    }

    // ---------------------------------------------------------------- languages

    private async Task LanguagesAsync(CancellationToken cancellationToken)
    {
        if (target.Drivers.FirstOrDefault(d => !d.WarmAndColdOnly) is not { } driver)
        {
            results.Skipped.Add(new SkipNote("languages", "needs the client or http transport (one-shot runs)"));
            return;
        }

        foreach (var workload in Workloads.Languages.Where(l => options.Languages.Contains(l.Language)))
        {
            progress.Phase($"language {workload.Language} ({workload.Template}) via {driver.Name}");
            if (!await docker.ImageExistsAsync(workload.Template, cancellationToken))
            {
                var reason = $"image {DockerBaselines.ImageOf(workload.Template)} is not built (scripts/setup.sh builds it)";
                progress.NotAvailable(workload.Language, reason);
                results.Languages.Add(new LanguageResult(workload.Language, workload.Template, false, reason, null, null, null, null, null, null));
                continue;
            }

            var compiled = SoulBox.Languages.Compiles(workload.Language);
            var starts = options.Quick ? 2 : 5;
            var runs = compiled ? (options.Quick ? 2 : 5) : (options.Quick ? 5 : 30);
            var startup = new LatencyRecorder();
            var execution = new LatencyRecorder();
            double? memory = null;
            await using (progress.Ticker(workload.Language, () => $"{startup.Samples.Count}/{starts} starts, {execution.Samples.Count} runs"))
            {
                for (var i = 0; i < starts; i++)
                {
                    BenchSandbox? sandbox = null;
                    try
                    {
                        var started = Stopwatch.GetTimestamp();
                        sandbox = await driver.CreateAsync(workload.Template, cancellationToken);
                        startup.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                        if (i < starts - 1)
                        {
                            continue;
                        }

                        // The last sandbox: first run warms the kernel (or the build cache), then measure.
                        await driver.RunAsync(sandbox, workload.Code, workload.Language, cancellationToken);
                        for (var r = 0; r < runs; r++)
                        {
                            var runStarted = Stopwatch.GetTimestamp();
                            var run = await driver.RunAsync(sandbox, workload.Code, workload.Language, cancellationToken);
                            if (run.Check(workload.ExpectedOutput) is { } error)
                            {
                                execution.Error(error);
                            }
                            else
                            {
                                execution.Record(Stopwatch.GetElapsedTime(runStarted).TotalMilliseconds);
                            }
                        }

                        var containerId = await ContainerIdOfAsync(sandbox, cancellationToken);
                        await docker.LocateAsync(containerId, cancellationToken);
                        memory = ContainerMemory.WorkingSetBytes(containerId) / 1048576.0;
                    }
                    catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                    {
                        (sandbox is null ? startup : execution).Error(LatencyRecorder.KindOf(e));
                        progress.Info($"{workload.Language}: {e.GetType().Name}: {e.Message}");
                    }
                    finally
                    {
                        if (sandbox is not null)
                        {
                            await KillQuietlyAsync(driver, sandbox);
                        }
                    }
                }
            }

            // Interpreted languages too: their "miss" and "hit" rows are the same one-shot run (no compile to cache).
            var oneShot = await OneShotCompiledAsync(driver, workload, runs, cancellationToken);
            LatencyStats? dockerRun = null, dockerExec = null;
            double? dockerMemory = null;
            if (options.Baselines)
            {
                var baselineRuns = compiled ? Math.Min(3, options.BaselineIterations) : options.BaselineIterations;
                dockerRun = await SequentialAsync($"docker run {workload.Language}", baselineRuns, 0,
                    ct => DockerBaselines.RunRmAsync(workload.Template, workload, workload.DockerCommand, workload.ExpectedOutput, ct), cancellationToken);
                var container = await docker.WarmContainerAsync(workload.Template, cancellationToken);
                dockerExec = await SequentialAsync($"docker exec {workload.Language}", baselineRuns, 1,
                    ct => docker.ExecAsync(container, workload, workload.DockerCommand, workload.ExpectedOutput, ct), cancellationToken);
                await docker.LocateAsync(container, cancellationToken);
                dockerMemory = ContainerMemory.WorkingSetBytes(container) / 1048576.0;
            }

            var row = new LanguageResult(workload.Language, workload.Template, true, null,
                LatencyStats.From(startup.Samples, startup.Errors), LatencyStats.From(execution.Samples, execution.Errors), memory, dockerRun, dockerExec, dockerMemory, oneShot);
            results.Languages.Add(row);
            progress.Info($"{workload.Language}: startup P50 {row.Startup!.P50Ms:F0} ms, execution P50 {row.Execution!.P50Ms:F1} ms, memory {memory:F1} MB"
                + (dockerRun is null ? "" : $"; docker run {dockerRun.P50Ms:F0} ms, docker exec {dockerExec!.P50Ms:F0} ms"));
        }
    }

    /// <summary>One-shot runs of a compiled language's hello world: a new source each time (a comment with a fresh
    /// nonce, so the node's compile cache misses and it compiles), then the same source again and again (hits, after
    /// one run that stores the build).</summary>
    private async Task<OneShotCompileResult> OneShotCompiledAsync(ISandboxDriver driver, LanguageWorkload workload, int runs, CancellationToken cancellationToken)
    {
        progress.Phase($"one-shot {workload.Language}: compile cache miss (new source) and hit (same source) via {driver.Name}");
        var miss = new LatencyRecorder();
        var hit = new LatencyRecorder();
        var missCompile = new LatencyRecorder();
        var hitRun = new LatencyRecorder();
        var hitsReported = 0;
        var repeated = workload.Code + $"\n{workload.Comment} bench {Guid.NewGuid():N}{workload.CommentEnd}\n";
        await using (progress.Ticker($"one-shot {workload.Language}", () => $"{miss.Samples.Count} misses, {hit.Samples.Count} hits"))
        {
            for (var i = -1; i < runs * 2; i++)
            {
                // -1: the first run of the repeated source (a miss that stores the build), not measured.
                var isHit = i >= runs || i == -1;
                var code = isHit ? repeated : workload.Code + $"\n{workload.Comment} bench {Guid.NewGuid():N}{workload.CommentEnd}\n";
                try
                {
                    var started = Stopwatch.GetTimestamp();
                    var result = await driver.ExecuteAsync(code, workload.Language, cancellationToken);
                    var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    if (i == -1)
                    {
                        continue;
                    }

                    var recorder = isHit ? hit : miss;
                    if (result.Check(workload.ExpectedOutput) is { } error)
                    {
                        recorder.Error(error);
                        continue;
                    }

                    recorder.Record(elapsed);
                    if (isHit)
                    {
                        hitRun.Record(result.RunMs);
                        hitsReported += result.CompileCached ? 1 : 0;
                    }
                    else
                    {
                        missCompile.Record(result.CompileMs);
                    }
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    (isHit ? hit : miss).Error(LatencyRecorder.KindOf(e));
                    progress.Info($"one-shot {workload.Language}: {e.GetType().Name}: {e.Message}");
                }
            }
        }

        var oneShot = new OneShotCompileResult(LatencyStats.From(miss.Samples, miss.Errors), LatencyStats.From(hit.Samples, hit.Errors),
            LatencyStats.From(missCompile.Samples), LatencyStats.From(hitRun.Samples), hitsReported);
        var scenario = $"one-shot {workload.Language}";
        results.Stages.Add(new StageTiming(scenario, $"{driver.Name}: miss, round trip (new source)", oneShot.Miss.P50Ms, oneShot.Miss.P95Ms));
        results.Stages.Add(new StageTiming(scenario, "miss: compile stage (in the executor)", oneShot.MissCompileStage.P50Ms, oneShot.MissCompileStage.P95Ms));
        results.Stages.Add(new StageTiming(scenario, $"{driver.Name}: hit, round trip (same source)", oneShot.Hit.P50Ms, oneShot.Hit.P95Ms));
        results.Stages.Add(new StageTiming(scenario, "hit: run stage (in the executor; compile stage 0)", oneShot.HitRunStage.P50Ms, oneShot.HitRunStage.P95Ms));
        progress.Info($"one-shot {workload.Language}: miss P50 {oneShot.Miss.P50Ms:F0} ms (compile {oneShot.MissCompileStage.P50Ms:F0} ms), "
            + $"hit P50 {oneShot.Hit.P50Ms:F1} ms (run {oneShot.HitRunStage.P50Ms:F1} ms; {hitsReported}/{oneShot.Hit.Count} reported cached)");
        return oneShot;
    }

    // ---------------------------------------------------------------- gateway

    private void Gateway()
    {
        progress.Phase("HTTP gateway overhead (HTTP round trip − client round trip, warm hello)");
        if (target.HttpUnavailable is { } reason)
        {
            progress.NotAvailable("gateway", reason);
            results.Skipped.Add(new SkipNote("gateway", reason));
            return;
        }

        var client = results.Series.FirstOrDefault(s => s is { Scenario: "warm", System: "soulbox-client" });
        var http = results.Series.FirstOrDefault(s => s is { Scenario: "warm", System: "soulbox-http" });
        if (client is null || http is null)
        {
            results.Skipped.Add(new SkipNote("gateway", "needs the warm scenario through both transports"));
            return;
        }

        results.Stages.Add(new StageTiming("gateway", "HTTP gateway added to a warm run (P50 / P99 differences)", http.Latency.P50Ms - client.Latency.P50Ms, http.Latency.P99Ms - client.Latency.P99Ms));
        progress.Info($"gateway adds {http.Latency.P50Ms - client.Latency.P50Ms:F2} ms at the median, {http.Latency.P99Ms - client.Latency.P99Ms:F2} ms at P99");
    }

    // ---------------------------------------------------------------- helpers

    private async Task<LatencyStats> SequentialAsync(string label, int iterations, int warmup, Func<CancellationToken, Task<string?>> request, CancellationToken cancellationToken)
    {
        var recorder = new LatencyRecorder();
        await using var ticker = progress.Ticker(label, () => $"{recorder.Samples.Count}/{iterations}");
        for (var i = -warmup; i < iterations; i++)
        {
            var started = Stopwatch.GetTimestamp();
            string? error;
            try
            {
                error = await request(cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                error = LatencyRecorder.KindOf(e);
            }

            if (i < 0)
            {
                continue;
            }

            if (error is null)
            {
                recorder.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            else
            {
                recorder.Error(error);
            }
        }

        return LatencyStats.From(recorder.Samples, recorder.Errors);
    }

    /// <summary>The sandbox's container: from the client's SandboxInfo, else by label (a container claimed from the
    /// warm pool was labelled before it had a sandbox, so the label may be missing).</summary>
    private async Task<string> ContainerIdOfAsync(BenchSandbox sandbox, CancellationToken cancellationToken)
    {
        if (sandbox.Handle is Sandbox { Info.ContainerId: { Length: > 0 } id })
        {
            return id;
        }

        return (await docker.ContainerIdsAsync($"soulbox.sandbox={sandbox.Id}", cancellationToken)).FirstOrDefault() ?? "";
    }

    private static async Task KillQuietlyAsync(ISandboxDriver driver, BenchSandbox sandbox)
    {
        try
        {
            await driver.KillAsync(sandbox);
        }
        catch (Exception)
        {
            // Best effort: an expired or lost sandbox has nothing left to release.
        }
    }
}
