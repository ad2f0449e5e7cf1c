using System.Globalization;
using System.Text;
using System.Text.Json;
using SoulBox.Bench.Planning;
using SoulBox.Bench.Report;

namespace SoulBox.Bench.Scale;

/// <summary>Writes <c>scale-report.md</c> (the table per worker count, the ratio, headroom, placement, the capacity
/// model) and <c>scale-results.json</c> (every figure; what <c>capacity</c> reads).</summary>
internal static class ScaleReport
{
    public const string ReportFile = "scale-report.md";
    public const string ResultsFile = "scale-results.json";

    /// <summary>Hosts the capacity section projects by default.</summary>
    public static readonly int[] DefaultHosts = [1, 2, 4, 8, 16, 32, 64];

    public static void WriteAll(string directory, ScaleResults results)
    {
        File.WriteAllText(Path.Combine(directory, ResultsFile), JsonSerializer.Serialize(results, ReportWriter.Json));
        File.WriteAllText(Path.Combine(directory, ReportFile), Markdown(results));
    }

    public static ScaleResults Load(string path) =>
        JsonSerializer.Deserialize<ScaleResults>(File.ReadAllText(path), ReportWriter.Json) is { Scenario: ScaleResults.Kind } results
            ? results
            : throw new InvalidDataException($"{path} holds no scale results");

    public static string Markdown(ScaleResults r)
    {
        var c = CultureInfo.InvariantCulture;
        var s = new StringBuilder();
        var settings = r.Settings;
        s.AppendLine("# SoulBox scale-out: throughput by worker count");
        s.AppendLine();
        s.AppendLine(c, $"`{r.Run.Command}` — {r.Run.StartedAt:u}, {r.Run.DurationSeconds:F0} s; {r.Run.Cores} cores, {r.Run.MemoryMb / 1024:F1} GB, {r.Run.Os}, {r.Run.Runtime}; {r.Run.Docker}.");
        s.AppendLine();
        s.AppendLine(c, $"Machine before the run: {r.Run.MachineBusyBeforePercent:F0} % CPU busy, load average {r.Run.LoadAverageBefore}.");
        s.AppendLine();
        s.AppendLine(c, $"Load: fib(10) in Python sandboxes (the throughput scenario's workload), closed loop, {settings.UsersPerWorker} users and {settings.SandboxesPerWorker} sandboxes per worker (user u runs in sandbox u mod sandboxes), via {settings.Transport} through ONE gateway silo; warm-up {settings.WarmupSeconds:F0} s, window {settings.WindowSeconds:F0} s. " +
            $"Each worker, gateway, Redis (membership) and the load generator is a separate process; each worker's sandbox containers share a parent cgroup with a CPU quota of {settings.WorkerCpus:0.###} core (`SoulBox:Docker:CgroupParent`), so the workers' budgets, not the machine, set the rate.");
        s.AppendLine();

        s.AppendLine("## Throughput by worker count");
        s.AppendLine();
        s.AppendLine("| workers | users | sandboxes | req/s | P50 ms | P95 ms | errors | CPU ms/request (all SoulBox) | gateway ms/req | worker host ms/req | sandboxes ms/req | load generator ms/req | machine CPU % (peak) | placement (sandboxes per worker) |");
        s.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var p in r.Points)
        {
            s.AppendLine(c, $"| {p.Workers} | {p.Users} | {p.Sandboxes} | {p.Rps:F1} | {p.Latency.P50Ms:F1} | {p.Latency.P95Ms:F1} | {p.Latency.Errors} | {p.CpuMsPerRequest:F2} | {p.GatewayCpuMsPerRequest:F2} | {p.WorkerHostCpuMsPerRequest:F2} | {p.SandboxCpuMsPerRequest:F2} | {p.BenchCpuMsPerRequest:F2} | {p.Resources.MachineCpuPercent:F0} ({p.Resources.MachinePeakCpuPercent:F0}) | {Spread(p)} |");
        }

        s.AppendLine();
        if (r.Ratio2To1 is { } ratio)
        {
            var verdict = ratio >= settings.RatioBar ? "met" : "MISSED";
            var headroom = ScaleAnalysis.Clean(r) ? ", with headroom everywhere else (no flags below)." : $", with {r.HeadroomFlags.Count} headroom flag(s) below: read the ratio with them.";
            s.AppendLine(c, $"**Ratio 2 workers ÷ 1 worker: {ratio:F2}×** (bar ≥ {settings.RatioBar:F1}×: {verdict}){headroom}");
        }
        else
        {
            s.AppendLine("Ratio 2 ÷ 1 workers: not measured (run with `--workers 1,2`).");
        }

        s.AppendLine();
        s.AppendLine("## Headroom: CPU of every process in each window");
        s.AppendLine();
        s.AppendLine(c, $"Share of one core (100 % = one core busy), mean over the window and peak of 1 s samples. A process above {settings.HeadroomPercentOfCore:F0} % of a core, the machine above {ScaleAnalysis.MachineBusyLimitPercent:F0} %, or a worker's sandboxes below {ScaleAnalysis.QuotaSaturatedPercent:F0} % of their quota is flagged: the ratio is only honest while the sandbox budgets are the limit and nothing else saturates.");
        s.AppendLine();
        s.AppendLine("| workers | process | role | mean % of a core | peak % |");
        s.AppendLine("|---:|---|---|---:|---:|");
        foreach (var p in r.Points)
        {
            foreach (var process in p.Resources.Processes.OrderBy(x => x.Role, StringComparer.Ordinal).ThenBy(x => x.Name, StringComparer.Ordinal))
            {
                s.AppendLine(c, $"| {p.Workers} | {process.Name} | {process.Role} | {process.MeanPercentOfCore:F0} | {process.PeakPercentOfCore:F0} |");
            }
        }

        s.AppendLine();
        s.AppendLine("| workers | worker | parent cgroup | quota (cores) | sandboxes' CPU (s) | quota used % | periods throttled % | req/s served |");
        s.AppendLine("|---:|---|---|---:|---:|---:|---:|---:|");
        foreach (var p in r.Points)
        {
            foreach (var b in p.Resources.Budgets)
            {
                s.AppendLine(c, $"| {p.Workers} | {b.Worker} | `{b.Cgroup}` | {b.QuotaCpus:0.###} | {b.CpuSeconds:F1} | {b.QuotaUsedPercent:F0} | {b.ThrottledPeriodsPercent:F0} | {p.RpsByWorker.GetValueOrDefault(b.Worker):F1} |");
            }
        }

        s.AppendLine();
        if (r.HeadroomFlags.Count == 0)
        {
            s.AppendLine("No flags: every worker's sandboxes used their quota, and no other process came near a core.");
        }
        else
        {
            s.AppendLine("Flags:");
            s.AppendLine();
            foreach (var flag in r.HeadroomFlags)
            {
                s.AppendLine(c, $"- {flag}");
            }
        }

        s.AppendLine();
        s.AppendLine("## Cluster costs per worker count");
        s.AppendLine();
        s.AppendLine("| workers | Redis commands/s | Redis keys | Redis bytes (all cluster keys / membership table) | Redis clients | Redis % of a core | Orleans messages sent per request (gateway / workers) | gateway directory lookups per request (cache hits) | remote directory lookups per request |");
        s.AppendLine("|---:|---:|---:|---:|---:|---:|---|---|---:|");
        foreach (var p in r.Points)
        {
            var gateway = OrleansCounters.Routing(p.GatewayOrleansPerRequest);
            var workers = OrleansCounters.Routing(p.WorkersOrleansPerRequest);
            s.AppendLine(c, $"| {p.Workers} | {p.Redis.CommandsPerSecond:F1} | {p.Redis.Keys} | {p.Redis.ClusterKeyBytes:N0} / {p.Redis.MembershipBytes:N0} | {p.Redis.ConnectedClients} | {p.Redis.RedisCpuPercentOfCore:F1} | {gateway.MessagesSent:F2} / {workers.MessagesSent:F2} | {gateway.DirectoryLookups:F2} ({(gateway.DirectoryCacheHitPercent is { } hit ? $"{hit:F1} %" : "n/a")}) | {gateway.RemoteDirectoryLookups + workers.RemoteDirectoryLookups:F3} |");
        }

        s.AppendLine();
        s.AppendLine("## Capacity model");
        s.AppendLine();
        s.AppendLine("From the figures above (`SoulBox.Bench capacity` prints the same from scale-results.json; `--hosts` and `--host-cores` change the projection):");
        s.AppendLine();
        try
        {
            s.AppendLine("```");
            s.Append(CapacityPlanner.FormatScaleOut(CapacityPlanner.ProjectScaleOut(r, DefaultHosts)));
            s.AppendLine("```");
        }
        catch (InvalidOperationException e)
        {
            s.AppendLine(c, $"Not available: {e.Message}");
        }

        if (r.Run.Notes.Count > 0)
        {
            s.AppendLine();
            s.AppendLine("## Notes");
            s.AppendLine();
            foreach (var note in r.Run.Notes)
            {
                s.AppendLine(c, $"- {note}");
            }
        }

        return s.ToString();
    }

    private static string Spread(ScalePoint p) => string.Join(", ", p.Spread.OrderBy(x => x.Key, StringComparer.Ordinal).Select(x => $"{x.Key}: {x.Value}"));
}
