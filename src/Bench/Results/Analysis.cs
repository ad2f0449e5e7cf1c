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
        BuildMetrics(results);
    }

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
            r.Memory.Add(new MemoryPoint("idle", 64, idle.SiloRssMeanMb, idle.SandboxMemoryMeanMb, idle.Containers, null));
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
            r.Goals.Add(new GoalCheck("Idle node memory ≤ 64 MB RSS", $"{idle.SiloRssMeanMb:F1} MB", idle.SiloRssMeanMb <= 64,
                idle.SiloRssMeanMb <= 64 ? "met" : $"missed by {idle.SiloRssMeanMb - 64:F1} MB ({idle.SiloRssMeanMb / 64:F2}×)"));
        }

        if (r.IdleSandboxMb > 0)
        {
            r.Goals.Add(new GoalCheck("Idle warm Python sandbox ≤ 32 MB", $"{r.IdleSandboxMb:F1} MB", r.IdleSandboxMb <= 32,
                r.IdleSandboxMb <= 32 ? "met" : $"missed by {r.IdleSandboxMb - 32:F1} MB"));
        }
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

        foreach (var l in r.Languages.Where(l => l.Available))
        {
            var prefix = Key($"languages.{l.Language}");
            if (l.Startup is { Count: > 0 }) m[prefix + ".startup.p95_ms"] = l.Startup.P95Ms;
            if (l.Execution is { Count: > 0 }) m[prefix + ".execution.p95_ms"] = l.Execution.P95Ms;
            if (l.MemoryMb is { } mem) m[prefix + ".sandbox_mb"] = mem;
            if (l.OneShot is { Miss.Count: > 0 } miss) m[prefix + ".oneshot_miss.p95_ms"] = miss.Miss.P95Ms;
            if (l.OneShot is { Hit.Count: > 0 } hit) m[prefix + ".oneshot_hit.p95_ms"] = hit.Hit.P95Ms;
        }
    }
}
