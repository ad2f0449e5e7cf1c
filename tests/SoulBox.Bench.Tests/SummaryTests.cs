using SoulBox.Bench.Measurement;
using SoulBox.Bench.Report;
using SoulBox.Bench.Results;
using SoulBox.Bench.Scenarios;

namespace SoulBox.Bench.Tests;

/// <summary>The report's summary: per-request CPU at the top level, and SoulBox beside the Jupyter kernel baseline.</summary>
public sealed class SummaryTests
{
    private static ThroughputPoint Window(string system, int users, double rps, double siloSeconds, double sandboxSeconds) =>
        new(system, users, Math.Min(users, 10), rps, LatencyStats.Empty, new ResourceSummary
        {
            WindowSeconds = 10, SiloCpuSeconds = siloSeconds, SandboxCpuSeconds = sandboxSeconds, EngineCpuSeconds = 1, BenchCpuSeconds = 2,
        });

    private static SeriesResult Warm(string system, double p50) =>
        new("warm", system, "hello", LatencyStats.From([p50, p50, p50]));

    private static BenchResults Results() => new()
    {
        Run = new RunInfo { Cores = 2, Transports = ["client"] },
        Throughput =
        [
            Window("soulbox-client", 1, 100, 1, 1),
            Window("soulbox-client", 10, 1000, 5, 10),          // 10,000 requests: silo 0.5 ms, sandboxes 1 ms each
            Window(BenchRunner.JupyterKernel, 1, 50, 0, 4),
            Window(BenchRunner.JupyterKernel, 10, 250, 0, 20),   // 2,500 requests: 8 ms each in the kernel containers
        ],
        Series = [Warm("soulbox-client", 2), Warm(BenchRunner.JupyterKernel, 10)],
    };

    [Fact]
    public void CpuPerRequest_DividesEachSideByTheRequestsOfTheWindow()
    {
        var cpu = Analysis.CpuPerRequestOf(Window("soulbox-client", 10, 1000, 5, 10));

        Assert.Equal(new CpuPerRequest(0.5, 1.0, 0.1, 0.2), cpu);
        Assert.Equal(1.5, cpu!.SystemMs);
        Assert.Null(Analysis.CpuPerRequestOf(Window("soulbox-client", 10, 0, 5, 10)));
    }

    [Fact]
    public void Summary_GivesCpuPerRequestAtTheTopLevelAndTheRatiosAgainstTheKernel()
    {
        var results = Results();

        Analysis.Complete(results);

        Assert.Equal(3, results.Summary.Count);
        Assert.Contains("via client (10 users on 10 sandboxes, 1,000 req/s): sandboxes 1.00 ms + silo 0.50 ms = 1.50 ms of one core", results.Summary[0], StringComparison.Ordinal);
        Assert.Contains("kernel ÷ SoulBox = 5.00× (SoulBox faster)", results.Summary[1], StringComparison.Ordinal);
        Assert.Contains("at 10 users", results.Summary[2], StringComparison.Ordinal);
        Assert.Contains("SoulBox ÷ kernel = 4.00× (SoulBox faster)", results.Summary[2], StringComparison.Ordinal);
        Assert.Contains("kernel 8.00 ms (kernel + client, in its containers): kernel ÷ SoulBox = 5.33×", results.Summary[2], StringComparison.Ordinal);
        Assert.Equal(5, results.Metrics["vs_jupyter.soulbox-client.warm_p50.speedup"], 6);
        Assert.Equal(4, results.Metrics["vs_jupyter.soulbox-client.u10.rps.speedup"], 6);
        Assert.Equal(8, results.Metrics["throughput.jupyter-kernel.u10.sandbox_cpu_ms_per_req"], 6);
        Assert.DoesNotContain("throughput.jupyter-kernel.u10.silo_cpu_ms_per_req", results.Metrics.Keys);

        var report = ReportWriter.Markdown(results, null);
        Assert.Contains("## Summary", report, StringComparison.Ordinal);
        Assert.Contains("| 10 | 1,251 |", report, StringComparison.Ordinal);
        Assert.Contains("| 4.00× |", report, StringComparison.Ordinal);
    }

    [Fact]
    public void Summary_SaysWhyTheKernelBaselineIsMissing()
    {
        var results = Results();
        results.Throughput.RemoveAll(t => t.System == BenchRunner.JupyterKernel);
        results.Series.RemoveAll(s => s.System == BenchRunner.JupyterKernel);
        results.Skipped.Add(new SkipNote(JupyterBaselineScenario.Scenario, "image soulbox/bench-jupyter:latest is not built; build it with --build-jupyter"));

        Analysis.Complete(results);

        Assert.Equal(2, results.Summary.Count);
        Assert.Equal("Jupyter kernel baseline: not available — image soulbox/bench-jupyter:latest is not built; build it with --build-jupyter.", results.Summary[1]);
        Assert.DoesNotContain(results.Metrics.Keys, k => k.StartsWith("vs_jupyter", StringComparison.Ordinal));
    }
}
