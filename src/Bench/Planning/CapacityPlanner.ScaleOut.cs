using System.Globalization;
using System.Text;
using SoulBox.Bench.Scale;

namespace SoulBox.Bench.Planning;

/// <summary>The scale-out model: N worker hosts projected from a <c>scale</c> run's per-worker figures and the gateway's
/// per-request cost, with what stops it being linear — gateway CPU (one gateway core routes 1000 / gateway-ms req/s),
/// Redis membership (a constant rate per silo, but every membership change makes every silo re-read the whole table:
/// silos² × entry size per change) and the Orleans directory and messaging per request.</summary>
internal static partial class CapacityPlanner
{
    /// <summary>Share of a host's cores a plan fills (the rest is headroom for bursts, GC, the engine).</summary>
    public const double TargetUtilisation = 1 / CpuHeadroom;

    /// <summary>Orleans' membership defaults (Orleans 9/10 documentation): each silo is probed by up to 10 others every 10 s,
    /// writes its IAmAlive row every 30 s and re-reads the table every 60 s and on every change.</summary>
    public const int ProbedSilos = 10;
    public const double ProbeSeconds = 10;

    public sealed record ScaleOutRow(int Hosts, double LinearRps, double DerivedRps, double GatewayCores, int Gateways, double RedisCommandsPerSecond,
        double MembershipTableKb, double MembershipReadKbPerChange, double ProbesPerSecond);

    public sealed record ScaleOutModel(
        string Source, double WorkerQuotaCpus, double PerWorkerRps, double? Ratio2To1, double PerDoublingEfficiency,
        double WorkerHostCpuMsPerRequest, double SandboxCpuMsPerRequest, double GatewayCpuMsPerRequest, double GatewayRpsPerCore,
        double HostCores, double HostRps, double RedisCommandsPerSiloPerSecond, double MembershipBytesPerSilo,
        double GatewayMessagesPerRequest, double WorkerMessagesPerRequest, IReadOnlyList<ScaleOutRow> Rows, IReadOnlyList<string> Limits, IReadOnlyList<string> Caveats);

    /// <summary>Projects <paramref name="hosts"/> worker hosts of <paramref name="hostCores"/> cores each (default: the
    /// measuring machine's), one gateway core per <see cref="ScaleOutModel.GatewayRpsPerCore"/> × utilisation req/s.</summary>
    public static ScaleOutModel ProjectScaleOut(ScaleResults results, IReadOnlyList<int> hosts, double? hostCores = null)
    {
        var points = results.Points.Where(p => p.Rps > 0 && p.Completed > 0).OrderBy(p => p.Workers).ToList();
        if (points.Count == 0)
        {
            throw new InvalidOperationException("the scale results hold no window with requests; run `SoulBox.Bench scale` first");
        }

        var one = points[0];
        var largest = points[^1];
        var perWorker = one.Rps / one.Workers;
        // Efficiency per doubling of workers, from the smallest to the largest count measured (1.0 = linear).
        var doublings = Math.Log2((double)largest.Workers / one.Workers);
        var efficiency = doublings <= 0 ? 1 : Math.Pow(largest.Rps / largest.Workers / perWorker, 1 / doublings);

        var workerHostMs = Mean(points, p => p.WorkerHostCpuMsPerRequest);
        var sandboxMs = Mean(points, p => p.SandboxCpuMsPerRequest);
        var gatewayMs = Mean(points, p => p.GatewayCpuMsPerRequest);
        var gatewayPerCore = gatewayMs <= 0 ? double.PositiveInfinity : 1000 / gatewayMs;
        var cores = hostCores ?? results.Run.Cores;
        var hostRps = workerHostMs <= 0 ? 0 : cores * TargetUtilisation * 1000 / workerHostMs;

        // Redis: commands per second per silo (gateway + workers), from the windows measured.
        var redisPerSilo = Mean(points, p => p.Redis.CommandsPerSecond / (p.Workers + 1));
        // The membership table's size per silo (older results without it: every cluster key, an overestimate).
        var bytesPerSilo = Mean(points, p => (double)(p.Redis.MembershipBytes > 0 ? p.Redis.MembershipBytes : p.Redis.ClusterKeyBytes) / (p.Workers + 1));
        var gatewayMessages = Mean(points, p => MessagesSent(p.GatewayOrleansPerRequest));
        var workerMessages = Mean(points, p => MessagesSent(p.WorkersOrleansPerRequest));
        var lookups = Mean(points, p => OrleansCounters.Routing(p.GatewayOrleansPerRequest).DirectoryLookups);
        var hits = points.Select(p => OrleansCounters.Routing(p.GatewayOrleansPerRequest).DirectoryCacheHitPercent).OfType<double>().ToList();
        var hitText = hits.Count == 0 ? "no directory-cache counters reported" : string.Create(CultureInfo.InvariantCulture, $"{hits.Average():F1} % answered by its directory cache");
        var remoteLookups = Mean(points, p => OrleansCounters.Routing(p.GatewayOrleansPerRequest).RemoteDirectoryLookups + OrleansCounters.Routing(p.WorkersOrleansPerRequest).RemoteDirectoryLookups);

        var rows = hosts.Select(n =>
        {
            var linear = n * hostRps;
            var derived = linear * Math.Pow(Math.Min(1, efficiency), Math.Log2(Math.Max(1, n)));
            var gatewayCores = linear * gatewayMs / 1000 / TargetUtilisation;
            var gateways = Math.Max(1, (int)Math.Ceiling(gatewayCores / cores));
            var silos = n + gateways;
            return new ScaleOutRow(n, linear, derived, gatewayCores, gateways, silos * redisPerSilo,
                silos * bytesPerSilo / 1024, (double)silos * silos * bytesPerSilo / 1024, silos * (double)Math.Min(ProbedSilos, silos - 1) / ProbeSeconds);
        }).ToList();

        var c = CultureInfo.InvariantCulture;
        var limits = new List<string>
        {
            string.Create(c, $"Gateway CPU: {gatewayMs:F2} ms per request, so one gateway core routes {gatewayPerCore:F0} req/s ({gatewayPerCore * TargetUtilisation:F0} at {TargetUtilisation:P0} busy) and one {cores:0}-core gateway host {gatewayPerCore * TargetUtilisation * cores:F0} req/s, the output of {gatewayPerCore * TargetUtilisation * cores / Math.Max(1, hostRps):F1} worker hosts. Gateways are stateless: past that, add gateways behind the load balancer (1 gateway core per {(gatewayMs <= 0 ? 0 : workerHostMs / gatewayMs):F1} worker cores); one gateway alone stops the line there."),
            string.Create(c, $"Redis membership: {redisPerSilo:F2} commands/s per silo (membership and the cluster state together) and {bytesPerSilo / 1024:F2} KB of membership table per silo measured: linear in silos ({rows.LastOrDefault()?.RedisCommandsPerSecond ?? 0:F0} commands/s at {rows.LastOrDefault()?.Hosts ?? 0} hosts, a sliver of one Redis core). What grows faster is a membership change: every silo re-reads the whole table, silos² × entry size per change ({(rows.Count > 0 ? rows[^1].MembershipReadKbPerChange / 1024 : 0):F1} MB at {rows.LastOrDefault()?.Hosts ?? 0} hosts), so a rolling restart of N hosts reads about 2N × that."),
            string.Create(c, $"Orleans membership probes: each silo is probed by min({ProbedSilos}, silos − 1) others every {ProbeSeconds:F0} s, constant per silo past {ProbedSilos + 1} silos (linear). Orleans messaging and directory: the gateway sent {gatewayMessages:F2} and the workers {workerMessages:F2} Orleans messages per request here; the gateway made {lookups:F2} grain-directory lookups per request, {hitText}, {remoteLookups:F3} per request asking another silo. The directory holds one entry per sandbox spread over the silos: lookups stay O(1) per request (cached) while sandboxes are long-lived, but each membership change invalidates the cache entries of the departed silo's share (sandboxes ÷ silos), so churn, not size, is what costs."),
        };
        var caveats = new List<string>
        {
            string.Create(c, $"A worker host's figure is {cores:0} cores × {TargetUtilisation:P0} ÷ the worker-host CPU per request measured with {results.Settings.WorkerCpus:0.###}-core sandbox budgets: it assumes one worker silo uses a whole host as efficiently, which its per-node limits (SoulBox:Sandbox:MaxSandboxesPerNode, MaxConcurrentExecutions) may stop first; measure one such host before buying many."),
        };
        if (results.HeadroomFlags.Count > 0)
        {
            caveats.Add($"The scale run flagged {results.HeadroomFlags.Count} headroom problem(s) (see its report): the per-request figures hold, the measured ratio may understate scale-out.");
        }

        if (efficiency < 0.95)
        {
            caveats.Add(string.Create(c, $"Measured per-doubling efficiency {efficiency:P0} (per-worker req/s with {largest.Workers} workers vs {one.Workers}); the 'derived' column applies it at every doubling, a pessimistic bound since on one shared machine the gateway, silos and load generator compete for the same cores."));
        }

        return new ScaleOutModel($"{results.Run.StartedAt:u}, {string.Join("/", points.Select(p => p.Workers))} worker(s), {results.Settings.Transport}",
            results.Settings.WorkerCpus, perWorker, results.Ratio2To1, efficiency, workerHostMs, sandboxMs, gatewayMs, gatewayPerCore, cores, hostRps,
            redisPerSilo, bytesPerSilo, gatewayMessages, workerMessages, rows, limits, caveats);
    }

    private static double MessagesSent(Dictionary<string, double> perRequest) => OrleansCounters.Routing(perRequest).MessagesSent;

    private static double Mean(List<ScalePoint> points, Func<ScalePoint, double> value) => points.Average(value);

    public static string FormatScaleOut(ScaleOutModel m)
    {
        var s = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        s.AppendLine(c, $"Scale-out model (fib(10) in Python sandboxes, one request = one run), from {m.Source}");
        s.AppendLine(c, $"  per worker, measured       {m.PerWorkerRps:F1} req/s with a {m.WorkerQuotaCpus:0.###}-core sandbox budget; ratio 2 ÷ 1 workers {(m.Ratio2To1 is { } r ? r.ToString("F2", c) + "×" : "not measured")}, per-doubling efficiency {m.PerDoublingEfficiency:P0}");
        s.AppendLine(c, $"  worker host CPU/request    {m.WorkerHostCpuMsPerRequest:F2} ms (silo + sandboxes + engine; sandboxes alone {m.SandboxCpuMsPerRequest:F2} ms)");
        s.AppendLine(c, $"  gateway CPU/request        {m.GatewayCpuMsPerRequest:F2} ms → {m.GatewayRpsPerCore:F0} req/s per gateway core");
        s.AppendLine(c, $"  one {m.HostCores:0}-core worker host  {m.HostRps:F0} req/s at {TargetUtilisation:P0} busy");
        s.AppendLine(c, $"  Redis                      {m.RedisCommandsPerSiloPerSecond:F2} commands/s and {m.MembershipBytesPerSilo / 1024:F2} KB of membership table per silo");
        s.AppendLine();
        s.AppendLine("  | worker hosts | req/s (linear) | req/s (measured efficiency per doubling) | gateway cores | gateways | Redis cmd/s | membership table | read per membership change | probes/s |");
        s.AppendLine("  |---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in m.Rows)
        {
            s.AppendLine(c, $"  | {row.Hosts} | {row.LinearRps:N0} | {row.DerivedRps:N0} | {row.GatewayCores:F1} | {row.Gateways} | {row.RedisCommandsPerSecond:F0} | {row.MembershipTableKb:F0} KB | {row.MembershipReadKbPerChange:N0} KB | {row.ProbesPerSecond:F0} |");
        }

        s.AppendLine();
        s.AppendLine("  Where it stops being linear:");
        foreach (var limit in m.Limits)
        {
            s.AppendLine(c, $"  - {limit}");
        }

        foreach (var caveat in m.Caveats)
        {
            s.AppendLine(c, $"  - Caveat: {caveat}");
        }

        return s.ToString();
    }
}
