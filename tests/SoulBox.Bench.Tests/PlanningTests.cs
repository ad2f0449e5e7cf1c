using SoulBox.Bench.Measurement;
using SoulBox.Bench.Planning;
using SoulBox.Bench.Results;

namespace SoulBox.Bench.Tests;

public sealed class PlanningTests
{
    [Fact]
    public void Percentiles_AreNearestRankOverEverySample()
    {
        var stats = LatencyStats.From([.. Enumerable.Range(1, 100).Select(i => (double)i)]);

        Assert.Equal(50, stats.P50Ms);
        Assert.Equal(95, stats.P95Ms);
        Assert.Equal(99, stats.P99Ms);
        Assert.Equal(100, stats.MaxMs);
        Assert.Equal(50.5, stats.MeanMs);
    }

    [Fact]
    public void Regression_FlagsP95Above1_2xAndMemoryAbove1_5x_Only()
    {
        var before = new BenchResults { Metrics = new() { ["warm.x.p95_ms"] = 10, ["coldstart.x.p95_ms"] = 100, ["memory.idle.total_mb"] = 100, ["memory.peak.total_mb"] = 100, ["throughput.x.rps"] = 1000 } };
        var after = new BenchResults { Metrics = new() { ["warm.x.p95_ms"] = 13, ["coldstart.x.p95_ms"] = 110, ["memory.idle.total_mb"] = 160, ["memory.peak.total_mb"] = 140, ["throughput.x.rps"] = 10 } };

        var report = Regression.Compare("before.json", before, after);

        Assert.Equal(4, report.Compared);
        Assert.Equal(["memory.idle.total_mb", "warm.x.p95_ms"], report.Alerts.Select(a => a.Metric).Order());
    }

    [Fact]
    public void Capacity_ScalesPerRequestCostWithHeadroomAndCountsNodes()
    {
        var results = new BenchResults
        {
            Run = new RunInfo { Cores = 2, MemoryMb = 4096 },
            IdleNode = new ResourceSummary { MachineCpuPercent = 0, SiloRssMeanMb = 100 },
            Throughput =
            [
                new ThroughputPoint("soulbox-client", 100, 100, 1000, LatencyStats.Empty,
                    new ResourceSummary { MachineCpuPercent = 100, BenchCpuPercent = 0, SiloRssPeakMb = 100, SandboxMemoryPeakMb = 1000 }),
            ],
        };

        var plan = CapacityPlanner.Compute(results, targetRps: 5000, pricePerCoreHour: 0.05, pricePerGbHour: 0.01);

        Assert.Equal(0.002, plan.CpuSecondsPerRequest, 6);          // 2 busy cores / 1000 req/s
        Assert.Equal(13, plan.Cores, 6);                            // 0.002 × 5000 × 1.3
        Assert.Equal((100 + 5000) * 1.5 / 1024, plan.MemoryGb, 6);  // base + 1 MB per req/s, × 1.5
        Assert.Equal(7, plan.Nodes);                                // 13 cores on 2-core nodes
        Assert.Equal("CPU", plan.Limiting);
        Assert.Equal(7 * (2 * 0.05 + 4 * 0.01), plan.CostPerHour!.Value, 6);
    }
}
