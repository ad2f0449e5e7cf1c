using SoulBox.Bench.Scale;

namespace SoulBox.Bench.Tests;

/// <summary>Runs <c>SoulBox.Bench scale --quick</c> for real: a throwaway Redis, one then two worker silos and a gateway
/// silo as separate processes, real Docker containers under parent cgroups with a CPU quota. Checks that every figure
/// the report needs was measured (the sandboxes' CPU read through their custom cgroup parent above all), then that
/// nothing is left (containers, cgroups). About 1-2 minutes, so it runs only with SOULBOX_BENCH_SCALE=1 (as root, on a
/// cgroupfs-driver engine, with redis-server installed). No speed assertions: the ratio is the report's business.</summary>
public sealed class ScaleSmokeTests
{
    [ScaleSmokeFact]
    public async Task QuickScale_MeasuresEachWorkerCount_AndLeavesNothingBehind()
    {
        var output = Path.Combine(Path.GetTempPath(), "soulbox-scale-smoke-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var run = ScaleCommand.RunAsync(["scale", "--quick", "--workers", "1,2", "--worker-cpu", "0.1", "--out", output]);
            var finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromMinutes(6)));
            Assert.True(finished == run, "scale --quick did not finish within 6 minutes");
            Assert.Equal(0, await run);

            var results = ScaleReport.Load(Path.Combine(output, ScaleReport.ResultsFile));
            Assert.Equal([1, 2], results.Points.Select(p => p.Workers));
            foreach (var point in results.Points)
            {
                Assert.True(point.Rps > 0, $"no requests with {point.Workers} worker(s)");
                Assert.Equal(0, point.Latency.Errors);
                Assert.Equal(point.Sandboxes, point.Spread.Values.Sum());
                Assert.Equal(point.Workers, point.Resources.Budgets.Count);
                // Read through each worker's own parent cgroup: 0 here is the bug the cgroup locator fixed.
                Assert.All(point.Resources.Budgets, b => Assert.True(b.CpuSeconds > 0, $"{b.Worker}'s sandboxes read 0 CPU under {b.Cgroup}"));
                Assert.True(point.Resources.GatewayCpuSeconds > 0, "the gateway's CPU was not sampled");
                Assert.Equal(point.Workers, point.Resources.Processes.Count(p => p.Role == "worker"));
                Assert.True(point.Redis.ClusterKeyBytes > 0, "the membership table was not measured");
                Assert.NotEmpty(point.GatewayOrleansPerRequest);
            }

            Assert.NotNull(results.Ratio2To1);
            var report = await File.ReadAllTextAsync(Path.Combine(output, ScaleReport.ReportFile));
            foreach (var section in new[] { "## Throughput by worker count", "**Ratio 2 workers ÷ 1 worker:", "## Headroom", "## Cluster costs", "## Capacity model", "Where it stops being linear" })
            {
                Assert.Contains(section, report, StringComparison.Ordinal);
            }

            Assert.Equal(0, CapacityCommand.Run(["--results", Path.Combine(output, ScaleReport.ResultsFile), "--hosts", "1,10"]));

            var prefix = $"soulbox-bench-{Environment.ProcessId}-";
            Assert.Empty(Directory.EnumerateDirectories("/sys/fs/cgroup").SelectMany(h => Directory.EnumerateDirectories(h, prefix + "*")));
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }
}

/// <summary>A fact that runs only when SOULBOX_BENCH_SCALE=1 (the scale smoke takes minutes and needs root); skipped,
/// and said so, otherwise.</summary>
public sealed class ScaleSmokeFactAttribute : FactAttribute
{
    public const string Switch = "SOULBOX_BENCH_SCALE";

    public ScaleSmokeFactAttribute()
    {
        if (Environment.GetEnvironmentVariable(Switch) != "1")
        {
            Skip = $"the scale smoke run takes minutes: set {Switch}=1 to run it";
        }
    }
}
