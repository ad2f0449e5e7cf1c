using System.Globalization;
using System.Text;
using SoulBox.Bench.Results;
using SoulBox.Bench.Scenarios;

namespace SoulBox.Bench.Planning;

/// <summary>Sizes a deployment for a target request rate from measured figures: CPU per request and memory
/// per concurrent request from the busiest SoulBox load window, plus the idle node's base footprint, with
/// 1.3× CPU and 1.5× memory headroom; then the number of worker nodes the size of the measuring machine.</summary>
internal static partial class CapacityPlanner
{
    public const double CpuHeadroom = 1.3;
    public const double MemoryHeadroom = 1.5;

    public sealed record Plan(
        double TargetRps, string Source, double CpuSecondsPerRequest, double MemoryMbPerRps, double BaseCores, double BaseMemoryMb,
        double Cores, double MemoryGb, int Nodes, double NodeCores, double NodeMemoryGb, string Limiting, double? CostPerHour, string Notes, string CpuMethod);

    public static Plan Compute(BenchResults results, double targetRps, double? pricePerCoreHour, double? pricePerGbHour)
    {
        // The busiest closed-loop window of the .NET client (or any SoulBox transport) that ran without errors.
        var window = results.Throughput
            .Where(t => t.System.StartsWith(BenchRunner.SoulBoxPrefix, StringComparison.Ordinal) && t.Resources is not null && t.Rps > 0)
            .OrderBy(t => t.System == "soulbox-client" ? 0 : 1).ThenByDescending(t => t.Rps)
            .FirstOrDefault()
            ?? throw new InvalidOperationException("the results hold no SoulBox throughput window with resource samples; run the throughput scenario first");
        var res = window.Resources!;
        var idle = results.IdleNode;

        // CPU: what SoulBox itself burned in the window (silo process + sandbox containers' cgroups + Docker engine),
        // above the idle node's own, per request served. This ignores other work on a shared machine. Results
        // without per-container CPU fall back to the machine's busy time minus idle and the load generator.
        double idleBusyCores, cpuPerRequest;
        string cpuMethod;
        if (res.SandboxCpuSeconds > 0)
        {
            idleBusyCores = idle is null ? 0 : (idle.SiloCpuPercent + idle.EngineCpuPercent) / 100 * results.Run.Cores;
            var usedCores = (res.SiloCpuSeconds + res.SandboxCpuSeconds + res.EngineCpuSeconds) / res.WindowSeconds;
            cpuPerRequest = Math.Max(0, usedCores - idleBusyCores) / window.Rps;
            cpuMethod = "silo + sandbox cgroups + Docker engine, above the idle node";
        }
        else
        {
            idleBusyCores = idle is null ? 0 : idle.MachineCpuPercent / 100 * results.Run.Cores;
            var busyCores = res.MachineCpuPercent / 100 * results.Run.Cores;
            var benchCores = res.BenchCpuPercent / 100 * results.Run.Cores;
            cpuPerRequest = Math.Max(0, busyCores - benchCores - idleBusyCores) / window.Rps;
            cpuMethod = "machine busy time minus idle and the load generator (no per-container CPU in these results)";
        }

        // Memory: node RSS above idle plus the sandboxes' memory, per req/s of the window.
        var baseMemory = idle?.SiloRssMeanMb ?? res.SiloRssMeanMb;
        var loadMemory = Math.Max(0, res.SiloRssPeakMb - baseMemory) + res.SandboxMemoryPeakMb;
        var memoryPerRps = loadMemory / window.Rps;

        var cores = (idleBusyCores + cpuPerRequest * targetRps) * CpuHeadroom;
        var memoryMb = (baseMemory + memoryPerRps * targetRps) * MemoryHeadroom;
        var nodeCores = results.Run.Cores;
        var nodeMemoryGb = results.Run.MemoryMb / 1024;
        var byCpu = (int)Math.Ceiling(cores / nodeCores);
        var byMemory = (int)Math.Ceiling(memoryMb / 1024 / nodeMemoryGb);
        var nodes = Math.Max(1, Math.Max(byCpu, byMemory));
        double? cost = pricePerCoreHour is null && pricePerGbHour is null ? null
            : nodes * (nodeCores * (pricePerCoreHour ?? 0) + nodeMemoryGb * (pricePerGbHour ?? 0));
        var notes = $"{window.Users} users on {window.Sandboxes} sandboxes gave {window.Rps:F0} req/s at {res.MachineCpuPercent:F0} % machine CPU; " +
            "above that rate per node the latency grows (closed loop), so plan on the per-request cost, not on one node's peak.";
        return new Plan(targetRps, $"{window.System}, {window.Users} users, {results.Run.StartedAt:u}", cpuPerRequest, memoryPerRps, idleBusyCores, baseMemory,
            cores, memoryMb / 1024, nodes, nodeCores, nodeMemoryGb, byCpu >= byMemory ? "CPU" : "memory", cost, notes, cpuMethod);
    }

    public static string Format(Plan p)
    {
        var s = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        s.AppendLine(c, $"Capacity plan for {p.TargetRps:N0} req/s (fib(10) in Python sandboxes), from {p.Source}");
        s.AppendLine(c, $"  CPU per request          {p.CpuSecondsPerRequest * 1000:F3} ms of one core ({p.CpuMethod})");
        s.AppendLine(c, $"  memory per req/s         {p.MemoryMbPerRps:F2} MB (node RSS growth + sandbox cgroup memory, per req/s)");
        s.AppendLine(c, $"  base footprint           {p.BaseCores:F2} cores, {p.BaseMemoryMb:F0} MB (idle node)");
        s.AppendLine(c, $"  needed, with headroom    {p.Cores:F1} cores (×{CpuHeadroom}), {p.MemoryGb:F1} GB (×{MemoryHeadroom})");
        s.AppendLine(c, $"  worker nodes             {p.Nodes} of this machine's size ({p.NodeCores} cores, {p.NodeMemoryGb:F1} GB); limited by {p.Limiting}");
        if (p.CostPerHour is { } cost)
        {
            s.AppendLine(c, $"  estimated cost           {cost:F2} per hour, {cost * 24 * 30:F0} per 30 days (nodes × (cores × core price + GB × GB price))");
        }

        s.AppendLine(c, $"  note: {p.Notes}");
        return s.ToString();
    }
}
