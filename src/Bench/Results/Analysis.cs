using System.Globalization;
using SoulBox.Bench.Measurement;
using SoulBox.Bench.Scenarios;

namespace SoulBox.Bench.Results;

/// <summary>Derives the summary tables (memory, published targets, this machine's goals) and the flat
/// metric map from the raw measurements.</summary>
internal static class Analysis
{
    public static void Complete(BenchResults results)
    {
        BuildMemory(results);
        BuildTargets(results);
        BuildGoals(results);
        BuildSummary(results);
        BuildMetrics(results);
    }

    /// <summary>CPU per request of a window, or null without resource samples or completed requests.</summary>
    public static CpuPerRequest? CpuPerRequestOf(ThroughputPoint t)
    {
        if (t.Resources is not { WindowSeconds: > 0 } res || t.Rps <= 0)
        {
            return null;
        }

        var requests = t.Rps * res.WindowSeconds;
        double Ms(double seconds) => seconds * 1000 / requests;
        return new CpuPerRequest(Ms(res.SiloCpuSeconds), Ms(res.SandboxCpuSeconds), Ms(res.EngineCpuSeconds), Ms(res.BenchCpuSeconds));
    }

    /// <summary>The window with the most users of a system (the top throughput level).</summary>
    public static ThroughputPoint? TopLevel(BenchResults r, string system) =>
        r.Throughput.Where(t => t.System == system).MaxBy(t => t.Users);

    /// <summary>The highest level measured for both systems (so the two ran the same users on as many sandboxes).</summary>
    public static int? TopCommonLevel(BenchResults r, string a, string b)
    {
        var levels = r.Throughput.Where(t => t.System == a).Select(t => t.Users).Intersect(r.Throughput.Where(t => t.System == b).Select(t => t.Users)).ToList();
        return levels.Count == 0 ? null : levels.Max();
    }

    private static void BuildSummary(BenchResults r)
    {
        r.Summary.Clear();
        foreach (var system in r.Run.Transports.Select(t => BenchRunner.SoulBoxPrefix + t))
        {
            if (TopLevel(r, system) is not { } top || CpuPerRequestOf(top) is not { } cpu)
            {
                continue;
            }

            var line = $"CPU per request at the top throughput level via {system[BenchRunner.SoulBoxPrefix.Length..]} ({Level(top)}, {top.Rps:N0} req/s): "
                + $"sandboxes {cpu.SandboxMs:F2} ms + silo {cpu.SiloMs:F2} ms = {cpu.SystemMs:F2} ms of one core (Docker engine {cpu.EngineMs:F2} ms; load generator {cpu.LoadGeneratorMs:F2} ms, not counted)";
            if (top.Users != 100 && Throughput(r, system, 100) is { } hundred && CpuPerRequestOf(hundred) is { } at100)
            {
                line += $"; at 100 users: sandboxes {at100.SandboxMs:F2} ms + silo {at100.SiloMs:F2} ms";
            }

            r.Summary.Add(line + ".");
        }

        var jupyterSkipped = r.Skipped.FirstOrDefault(s => s.Scenario == JupyterBaselineScenario.Scenario);
        var soulbox = r.Run.Transports.Contains("client") ? "soulbox-client" : BenchRunner.SoulBoxPrefix + r.Run.Transports.FirstOrDefault();
        var warm = Series(r, "warm", soulbox);
        var kernelWarm = Series(r, "warm", BenchRunner.JupyterKernel);
        if (warm is { Latency.P50Ms: > 0 } && kernelWarm is { Latency.P50Ms: > 0 })
        {
            var speedup = kernelWarm.Latency.P50Ms / warm.Latency.P50Ms;
            r.Summary.Add($"Warm hello beside a Jupyter kernel: SoulBox ({Transport(soulbox)}) P50 {warm.Latency.P50Ms:F2} ms, P99 {warm.Latency.P99Ms:F2} ms; "
                + $"kernel P50 {kernelWarm.Latency.P50Ms:F2} ms, P99 {kernelWarm.Latency.P99Ms:F2} ms: kernel ÷ SoulBox = {speedup:F2}× ({Faster(speedup)}).");
        }

        if (TopCommonLevel(r, soulbox, BenchRunner.JupyterKernel) is { } users
            && Throughput(r, soulbox, users) is { Rps: > 0 } ours && Throughput(r, BenchRunner.JupyterKernel, users) is { Rps: > 0 } theirs)
        {
            var ratio = ours.Rps / theirs.Rps;
            var line = $"fib(10) at {users} users beside Jupyter kernels ({ours.Sandboxes} sandboxes / {theirs.Sandboxes} kernels): SoulBox ({Transport(soulbox)}) {ours.Rps:N0} req/s, kernels {theirs.Rps:N0} req/s: SoulBox ÷ kernel = {ratio:F2}× ({Faster(ratio)})";
            if (CpuPerRequestOf(ours) is { } a && CpuPerRequestOf(theirs) is { } b && a.SystemMs > 0)
            {
                line += $"; CPU per request SoulBox {a.SystemMs:F2} ms (sandboxes + silo), kernel {b.SystemMs:F2} ms (kernel + client, in its containers): kernel ÷ SoulBox = {b.SystemMs / a.SystemMs:F2}×";
            }

            r.Summary.Add(line + ".");
        }
        else if (jupyterSkipped is not null && kernelWarm is null)
        {
            r.Summary.Add($"Jupyter kernel baseline: not available — {jupyterSkipped.Reason}.");
        }
    }

    private static string Level(ThroughputPoint t) => $"{t.Users} users on {t.Sandboxes} sandboxes";

    private static string Transport(string system) => system.StartsWith(BenchRunner.SoulBoxPrefix, StringComparison.Ordinal) ? system[BenchRunner.SoulBoxPrefix.Length..] : system;

    private static string Faster(double speedup) => speedup >= 1 ? "SoulBox faster" : "SoulBox slower";

    public static SeriesResult? Series(BenchResults r, string scenario, string system) =>
        r.Series.FirstOrDefault(s => s.Scenario == scenario && s.System == system);

    public static ThroughputPoint? Throughput(BenchResults r, string system, int users) =>
        r.Throughput.FirstOrDefault(t => t.System == system && t.Users == users);

    private static void BuildMemory(BenchResults r)
    {
        r.Memory.Clear();
        var client = r.Throughput.Where(t => t.System.StartsWith(BenchRunner.SoulBoxPrefix, StringComparison.Ordinal) && t.Resources is not null)
            .GroupBy(t => t.System).OrderBy(g => g.Key == "soulbox-client" ? 0 : 1).FirstOrDefault()?.ToList() ?? [];
        double? Exec(int users) => Throughput(r, BenchRunner.DockerExec, users)?.Resources?.SandboxMemoryPeakMb;

        if (r.IdleNode is { } idle)
        {
            // The row's key stays "idle" (memory.idle.total_mb, what --baseline compares); the words after it say what it is.
            r.Memory.Add(new MemoryPoint($"idle ({BenchResults.IdleNodeLabel["idle ".Length..]}{(r.IdleNodePoolFilled ? "" : " — NOT filled")})", 64,
                idle.SiloRssMeanMb, idle.SandboxMemoryMeanMb, idle.Containers, null));
        }

        foreach (var (label, users) in new[] { ("single execution", 1), ("10 concurrent", 10), ("100 concurrent", 100) })
        {
            if (client.FirstOrDefault(t => t.Users == users) is { Resources: { } res })
            {
                r.Memory.Add(new MemoryPoint(label, Published.Memory.First(m => m.Label == label).Mb, res.SiloRssPeakMb, res.SandboxMemoryPeakMb, res.Containers, Exec(users)));
            }
        }

        if (client.Count > 0)
        {
            var peak = client.MaxBy(t => t.Resources!.TotalMemoryPeakMb)!;
            r.Memory.Add(new MemoryPoint($"peak load ({peak.Users} users)", 2800, peak.Resources!.SiloRssPeakMb, peak.Resources.SandboxMemoryPeakMb, peak.Resources.Containers,
                r.Throughput.Where(t => t.System == BenchRunner.DockerExec).Select(t => t.Resources?.SandboxMemoryPeakMb).Max()));
        }
    }

    private static void BuildTargets(BenchResults r)
    {
        r.Targets.Clear();
        foreach (var system in r.Run.Transports.Select(t => BenchRunner.SoulBoxPrefix + t))
        {
            var warm = Series(r, "warm", system);
            r.Targets.Add(new TargetCheck("API P95 latency (warm hello)", "< 50 ms", warm?.Latency.P95Ms, "ms", warm is null ? null : warm.Latency.P95Ms < 50, system));
            if (system == BenchRunner.SoulBoxPrefix + "e2b")
            {
                // Issue 10's target for E2B's SDK (the SDK's own overhead included); the e2b transport runs in the
                // warm and cold-start scenarios only, so the load-window targets do not apply to it.
                r.Targets.Add(new TargetCheck("Warm run through E2B's SDK (P50)", "≤ 3 ms", warm?.Latency.P50Ms, "ms", warm is null ? null : warm.Latency.P50Ms <= 3, system));
                var e2bCreate = r.Stages.FirstOrDefault(s => s.Scenario == "coldstart" && s.Stage.StartsWith("e2b: create", StringComparison.Ordinal));
                r.Targets.Add(new TargetCheck("Container start (create sandbox, P50)", "< 100 ms", e2bCreate?.MedianMs, "ms", e2bCreate is null ? null : e2bCreate.MedianMs < 100, system));
                continue;
            }

            var heavy = r.Throughput.Where(t => t.System == system && t.Users <= 100).MaxBy(t => t.Users);
            r.Targets.Add(new TargetCheck($"Execution P99 latency (fib(10), {heavy?.Users ?? 100} users)", "< 200 ms", heavy?.Latency.P99Ms, "ms", heavy is null ? null : heavy.Latency.P99Ms < 200, system));

            var windows = r.Throughput.Where(t => t.System == system).Select(t => t.Latency).Concat(r.Cpu.Where(c => c.System == system).Select(c => c.Latency)).ToList();
            // Requests the open-loop generator never sent (too many in flight) are the generator's, not SoulBox's errors.
            var requests = windows.Sum(l => l.Count + l.Errors - l.ErrorsByKind.GetValueOrDefault(LoadRunner.NotSent));
            double? errorRate = requests == 0 ? null : 100.0 * windows.Sum(l => l.Errors - l.ErrorsByKind.GetValueOrDefault(LoadRunner.NotSent)) / requests;
            r.Targets.Add(new TargetCheck("Error rate (all load windows)", "< 0.1 %", errorRate, "%", errorRate is null ? null : errorRate < 0.1, system));

            var best = r.Throughput.Where(t => t.System == system).MaxBy(t => t.Rps);
            r.Targets.Add(new TargetCheck($"Throughput (best level: {best?.Users} users)", "> 1,000 req/s", best?.Rps, "req/s", best is null ? null : best.Rps > 1000, system));

            var create = r.Stages.FirstOrDefault(s => s.Scenario == "coldstart" && s.Stage.StartsWith(system[BenchRunner.SoulBoxPrefix.Length..] + ": create", StringComparison.Ordinal));
            r.Targets.Add(new TargetCheck("Container start (create sandbox, P50)", "< 100 ms", create?.MedianMs, "ms", create is null ? null : create.MedianMs < 100, system));

            var perExecution = heavy?.Resources is { Containers: > 0 } res ? res.SandboxMemoryPeakMb / res.Containers : (double?)null;
            r.Targets.Add(new TargetCheck($"Memory per execution (sandbox memory / sandboxes at {heavy?.Users} users)", "< 128 MB", perExecution, "MB", perExecution is null ? null : perExecution < 128, system));
        }
    }

    private static void BuildGoals(BenchResults r)
    {
        r.Goals.Clear();
        var warm = Series(r, "warm", "soulbox-client");
        var exec = Series(r, "warm", BenchRunner.DockerExec);
        if (warm is not null && exec is not null && warm.Latency.P50Ms > 0)
        {
            var ratio = exec.Latency.P50Ms / warm.Latency.P50Ms;
            r.Goals.Add(new GoalCheck("Warm execution ≥ 20× faster than docker exec (median)", $"{ratio:F1}× ({warm.Latency.P50Ms:F2} ms vs {exec.Latency.P50Ms:F1} ms)", ratio >= 20,
                ratio >= 20 ? "met" : $"missed by {20 / ratio:F2}× (needs median ≤ {exec.Latency.P50Ms / 20:F2} ms)"));
        }
        else
        {
            r.Goals.Add(new GoalCheck("Warm execution ≥ 20× faster than docker exec (median)", "not measured", null, "needs the warm scenario with baselines"));
        }

        var pool = Series(r, "pool", "soulbox-client");
        var run = Series(r, "coldstart", BenchRunner.DockerRun);
        var cold = Series(r, "coldstart", "soulbox-client");
        if (pool is not null && run is not null && pool.Latency.P50Ms > 0)
        {
            var ratio = run.Latency.P50Ms / pool.Latency.P50Ms;
            var met = ratio >= 10 && pool.Latency.P95Ms <= 60;
            r.Goals.Add(new GoalCheck("Cold start with a warm pool ≥ 10× faster than docker run --rm (median), P95 ≤ 60 ms",
                $"{ratio:F1}×, P95 {pool.Latency.P95Ms:F0} ms", met, met ? "met" : $"ratio {ratio:F1}× of 10×, P95 {pool.Latency.P95Ms:F0} ms of 60 ms"));
        }
        else
        {
            var now = cold is not null && run is not null && cold.Latency.P50Ms > 0
                ? $"without a pool: {run.Latency.P50Ms / cold.Latency.P50Ms:F2}× ({cold.Latency.P50Ms:F0} ms vs {run.Latency.P50Ms:F0} ms), P95 {cold.Latency.P95Ms:F0} ms"
                : "not measured";
            r.Goals.Add(new GoalCheck("Cold start with a warm pool ≥ 10× faster than docker run --rm (median), P95 ≤ 60 ms", now, null,
                "no warm pool in this build: every create starts a container (see the cold-start table)"));
        }

        foreach (var (system, target) in new[] { ("soulbox-client", 1500.0), ("soulbox-http", 1000.0) })
        {
            var name = $"Throughput fib(10), 100 users ≥ {target:N0} req/s via {system[BenchRunner.SoulBoxPrefix.Length..]}";
            if (Throughput(r, system, 100) is { } point)
            {
                r.Goals.Add(new GoalCheck(name, $"{point.Rps:N0} req/s", point.Rps >= target, point.Rps >= target ? "met" : $"missed: {point.Rps / target * 100:F0} % of the goal ({target / Math.Max(1, point.Rps):F1}× short)"));
            }
            else
            {
                var reason = system == "soulbox-http" && !r.Run.Transports.Contains("http") ? "HTTP transport not measured in this run (see the notes)" : "100-user level not measured (see --users)";
                r.Goals.Add(new GoalCheck(name, "not measured", null, reason));
            }
        }

        var soulboxWindows = r.Throughput.Where(t => t.System.StartsWith(BenchRunner.SoulBoxPrefix, StringComparison.Ordinal)).ToList();
        if (soulboxWindows.Count > 0)
        {
            var errors = soulboxWindows.Sum(t => t.Latency.Errors);
            r.Goals.Add(new GoalCheck($"Error rate 0 at every level (measured up to {soulboxWindows.Max(t => t.Users)} users)", $"{errors} errors",
                errors == 0, errors == 0 ? "met" : string.Join("; ", soulboxWindows.Where(t => t.Latency.Errors > 0).Select(t => $"{t.System} {t.Users} users: {string.Join(", ", t.Latency.ErrorsByKind.Select(e => $"{e.Key} ×{e.Value}"))}"))));
        }

        if (r.IdleNode is { } idle)
        {
            var notFilled = r.IdleNodePoolFilled ? "" : "; the pool was NOT filled when sampled";
            r.Goals.Add(new GoalCheck($"{char.ToUpperInvariant(BenchResults.IdleNodeLabel[0])}{BenchResults.IdleNodeLabel[1..]} ≤ 64 MB", $"{idle.SiloRssMeanMb:F1} MB", idle.SiloRssMeanMb <= 64,
                (idle.SiloRssMeanMb <= 64 ? "met" : $"missed by {idle.SiloRssMeanMb - 64:F1} MB ({idle.SiloRssMeanMb / 64:F2}×)") + notFilled));
        }

        if (BatchGoal(r) is { } batch)
        {
            r.Goals.Add(batch);
        }

        if (r.IdleSandboxMb > 0)
        {
            r.Goals.Add(new GoalCheck("Idle warm Python sandbox ≤ 32 MB", $"{r.IdleSandboxMb:F1} MB", r.IdleSandboxMb <= 32,
                r.IdleSandboxMb <= 32 ? "met" : $"missed by {r.IdleSandboxMb - 32:F1} MB"));
        }
    }

    /// <summary>Issue 11's bar for batches: a batch of N cases takes no longer than the same N cases as one-shot calls
    /// one after another (median), in every language measured, with every verdict accepted. Null when no batch ran.</summary>
    public static GoalCheck? BatchGoal(BenchResults r)
    {
        var measured = r.Batches.Where(b => b.Available).ToList();
        if (measured.Count == 0)
        {
            return null;
        }

        var cases = measured.Max(b => b.Cases);
        var name = $"A batch of {cases} cases ≤ {cases} one-shot calls one after another (median), every language, every verdict accepted";
        var ratios = measured.Where(b => b.Speedup is not null).ToList();
        var failed = measured.Where(b => b.Batch is not { Errors: 0 } || b.OneShots is not { Errors: 0 }).Select(b => b.Language).ToList();
        var slower = ratios.Where(b => b.Speedup < 1).Select(b => $"{b.Language} {b.Speedup:F2}×").ToList();
        var missing = measured.Where(b => b.Speedup is null).Select(b => b.Language).ToList();
        var lowest = ratios.MinBy(b => b.Speedup);
        var text = lowest is null
            ? "no language with both figures"
            : $"{ratios.Count(b => b.Speedup >= 1)}/{measured.Count} languages; calls ÷ batch from {lowest.Speedup:F2}× ({lowest.Language}) to {ratios.Max(b => b.Speedup):F2}× ({ratios.MaxBy(b => b.Speedup)!.Language})";
        var met = failed.Count == 0 && slower.Count == 0 && missing.Count == 0;
        var detail = met ? "met" : string.Join("; ", new[]
        {
            slower.Count > 0 ? $"batch slower in {string.Join(", ", slower)}" : null,
            failed.Count > 0 ? $"verdicts or outputs not all accepted in {string.Join(", ", failed)}" : null,
            missing.Count > 0 ? $"no figure for {string.Join(", ", missing)}" : null,
        }.OfType<string>());
        return new GoalCheck(name, text, met, detail);
    }

    private static void BuildMetrics(BenchResults r)
    {
        var m = r.Metrics;
        m.Clear();
        static string Key(string s) => new([.. s.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '_')]);
        foreach (var s in r.Series)
        {
            var prefix = Key($"{s.Scenario}.{s.System}.{s.Label}");
            m[prefix + ".p50_ms"] = s.Latency.P50Ms;
            m[prefix + ".p95_ms"] = s.Latency.P95Ms;
            m[prefix + ".p99_ms"] = s.Latency.P99Ms;
        }

        foreach (var t in r.Throughput)
        {
            var prefix = Key($"throughput.{t.System}.u{t.Users}");
            m[prefix + ".rps"] = t.Rps;
            m[prefix + ".p95_ms"] = t.Latency.P95Ms;
            m[prefix + ".errors"] = t.Latency.Errors;
            if (t.Resources is { } res)
            {
                m[prefix + ".silo_rss_mb"] = res.SiloRssPeakMb;
                m[prefix + ".sandboxes_mb"] = res.SandboxMemoryPeakMb;
                m[prefix + ".machine_cpu_percent"] = res.MachineCpuPercent;
            }

            if (CpuPerRequestOf(t) is { } cpu)
            {
                m[prefix + ".sandbox_cpu_ms_per_req"] = cpu.SandboxMs;
                if (t.System.StartsWith(BenchRunner.SoulBoxPrefix, StringComparison.Ordinal))
                {
                    m[prefix + ".silo_cpu_ms_per_req"] = cpu.SiloMs;
                }
            }
        }

        // SoulBox beside the Jupyter kernel as speed-ups (> 1: SoulBox faster), the form --compare reads as higher-is-better.
        foreach (var system in r.Run.Transports.Select(t => BenchRunner.SoulBoxPrefix + t))
        {
            if (Series(r, "warm", system) is { Latency.P50Ms: > 0 } warm && Series(r, "warm", BenchRunner.JupyterKernel) is { Latency.P50Ms: > 0 } kernel)
            {
                m[Key($"vs_jupyter.{system}.warm_p50") + ".speedup"] = kernel.Latency.P50Ms / warm.Latency.P50Ms;
            }

            foreach (var ours in r.Throughput.Where(t => t.System == system && t.Rps > 0))
            {
                if (Throughput(r, BenchRunner.JupyterKernel, ours.Users) is { Rps: > 0 } theirs)
                {
                    m[Key($"vs_jupyter.{system}.u{ours.Users}.rps") + ".speedup"] = ours.Rps / theirs.Rps;
                }
            }
        }

        foreach (var c in r.Cpu)
        {
            var prefix = Key($"cpu.{c.System}.r{c.OfferedRps.ToString(CultureInfo.InvariantCulture)}");
            m[prefix + ".machine_cpu_percent"] = c.Resources.MachineCpuPercent;
            m[prefix + ".silo_cpu_percent"] = c.Resources.SiloCpuPercent;
            m[prefix + ".achieved_rps"] = c.AchievedRps;
            m[prefix + ".p95_ms"] = c.Latency.P95Ms;
        }

        foreach (var p in r.Memory)
        {
            m[Key($"memory.{p.Label.Split(" (")[0]}") + ".total_mb"] = p.TotalMb;
        }

        if (r.IdleNode is { } idle)
        {
            m["memory.idle_node_rss_mb"] = idle.SiloRssMeanMb;
        }

        if (r.IdleSandboxMb > 0)
        {
            m["memory.idle_python_sandbox_mb"] = r.IdleSandboxMb;
        }

        if (r.IdleJupyterKernelMb > 0)
        {
            m["memory.idle_jupyter_kernel_mb"] = r.IdleJupyterKernelMb;
        }

        foreach (var l in r.Languages.Where(l => l.Available))
        {
            var prefix = Key($"languages.{l.Language}");
            if (l.Startup is { Count: > 0 }) m[prefix + ".startup.p95_ms"] = l.Startup.P95Ms;
            if (l.Execution is { Count: > 0 }) m[prefix + ".execution.p95_ms"] = l.Execution.P95Ms;
            if (l.MemoryMb is { } mem) m[prefix + ".sandbox_mb"] = mem;
            if (l.OneShot is { Miss.Count: > 0 } miss) m[prefix + ".oneshot_miss.p95_ms"] = miss.Miss.P95Ms;
            if (l.OneShot is { Hit.Count: > 0 } hit) m[prefix + ".oneshot_hit.p95_ms"] = hit.Hit.P95Ms;
        }

        // Medians over a few rounds: named "_median_ms", so --baseline (P95 limits) leaves them to --compare.
        foreach (var b in r.Batches.Where(b => b.Available))
        {
            var prefix = Key($"batch.{b.Language}");
            if (b.Batch is { Count: > 0 } batch) m[prefix + ".batch_median_ms"] = batch.P50Ms;
            if (b.OneShots is { Count: > 0 } calls) m[prefix + ".oneshots_median_ms"] = calls.P50Ms;
            if (b.Speedup is { } speedup) m[prefix + ".calls_vs_batch.speedup"] = speedup;
            m[prefix + ".errors"] = (b.Batch?.Errors ?? 0) + (b.OneShots?.Errors ?? 0);
        }
    }
}
