using SoulBox.Bench.Planning;
using SoulBox.Bench.Report;
using SoulBox.Bench.Results;

namespace SoulBox.Bench.Tests;

public sealed class ComparisonTests
{
    private static BenchResults Run(string mode, params (string Metric, double Value)[] metrics) => new()
    {
        Run = new RunInfo { Mode = mode, Cores = 2, Command = "SoulBox.Bench all" },
        Metrics = new SortedDictionary<string, double>(metrics.ToDictionary(m => m.Metric, m => m.Value)),
    };

    [Theory]
    [InlineData("warm.soulbox-client.hello.p95_ms", "Lower")]
    [InlineData("throughput.soulbox-client.u100.rps", "Higher")]
    [InlineData("cpu.soulbox-client.r100.achieved_rps", "Higher")]
    [InlineData("throughput.soulbox-client.u100.sandbox_cpu_ms_per_req", "Lower")]
    [InlineData("throughput.soulbox-client.u100.errors", "Lower")]
    [InlineData("memory.idle_node_rss_mb", "Lower")]
    [InlineData("cpu.soulbox-client.r100.machine_cpu_percent", "Lower")]
    [InlineData("throughput.soulbox-client.u100.machine_cpu_percent", "Neither")]
    [InlineData("vs_jupyter.soulbox-client.warm_p50.speedup", "Higher")]
    public void DirectionOf_ComesFromTheMetricName(string metric, string expected)
    {
        Assert.Equal(Enum.Parse<Better>(expected), Comparison.DirectionOf(metric));
    }

    [Fact]
    public void Compare_ListsEveryMetricOfEitherRunWithRatioAndVerdict()
    {
        var before = Run("full",
            ("throughput.soulbox-client.u100.rps", 1000), ("warm.soulbox-client.hello.p95_ms", 4), ("memory.idle_node_rss_mb", 200),
            ("throughput.soulbox-client.u100.errors", 0), ("throughput.soulbox-client.u100.machine_cpu_percent", 90), ("languages.go.execution.p95_ms", 250));
        var after = Run("full",
            ("throughput.soulbox-client.u100.rps", 2000), ("warm.soulbox-client.hello.p95_ms", 5), ("memory.idle_node_rss_mb", 201),
            ("throughput.soulbox-client.u100.errors", 3), ("throughput.soulbox-client.u100.machine_cpu_percent", 95), ("vs_jupyter.soulbox-client.warm_p50.speedup", 6));

        var report = Comparison.Compare("a.json", before, "b.json", after);
        var byMetric = report.Changes.ToDictionary(c => c.Metric);

        Assert.Equal(7, report.Changes.Count);
        Assert.Equal(Verdict.Better, byMetric["throughput.soulbox-client.u100.rps"].Verdict);
        Assert.Equal(2.0, byMetric["throughput.soulbox-client.u100.rps"].Ratio);
        Assert.Equal(Verdict.Worse, byMetric["warm.soulbox-client.hello.p95_ms"].Verdict);
        Assert.Equal(1.25, byMetric["warm.soulbox-client.hello.p95_ms"].Ratio);
        Assert.Equal(Verdict.Same, byMetric["memory.idle_node_rss_mb"].Verdict);       // +0.5 %: inside the noise band
        Assert.Equal(Verdict.Worse, byMetric["throughput.soulbox-client.u100.errors"].Verdict);
        Assert.Equal(double.PositiveInfinity, byMetric["throughput.soulbox-client.u100.errors"].Ratio);
        Assert.Equal(Verdict.Changed, byMetric["throughput.soulbox-client.u100.machine_cpu_percent"].Verdict);
        Assert.Equal(Verdict.OnlyBefore, byMetric["languages.go.execution.p95_ms"].Verdict);
        Assert.Null(byMetric["languages.go.execution.p95_ms"].Ratio);
        Assert.Equal(Verdict.OnlyAfter, byMetric["vs_jupyter.soulbox-client.warm_p50.speedup"].Verdict);
        Assert.Equal(1, report.Count(Verdict.Better));
        Assert.Equal(2, report.Count(Verdict.Worse));
    }

    [Theory]
    [InlineData(0.0, 0.0, "Lower", "Same")]
    [InlineData(10.0, 10.19, "Lower", "Same")]
    [InlineData(10.0, 10.3, "Lower", "Worse")]
    [InlineData(10.0, 9.7, "Lower", "Better")]
    [InlineData(10.0, 9.7, "Higher", "Worse")]
    [InlineData(10.0, 12.0, "Neither", "Changed")]
    [InlineData(0.0, 1.0, "Higher", "Better")]
    public void VerdictOf_UsesTheNoiseBandThenTheDirection(double before, double after, string better, string expected)
    {
        Assert.Equal(Enum.Parse<Verdict>(expected), Comparison.VerdictOf(before, after, Enum.Parse<Better>(better)));
    }

    [Fact]
    public void Markdown_HasARowPerMetricAndFlagsTheWorseOnes()
    {
        var report = Comparison.Compare("a.json", Run("full", ("warm.x.hello.p50_ms", 2), ("throughput.x.u10.rps", 100)),
            "b.json", Run("quick", ("warm.x.hello.p50_ms", 3), ("throughput.x.u10.rps", 150)));

        var md = ComparisonWriter.Markdown(report);

        Assert.Contains("| warm.x.hello.p50_ms | 2.000 | 3.000 | 1.50× | lower | **worse** |", md, StringComparison.Ordinal);
        Assert.Contains("| throughput.x.u10.rps | 100.0 | 150.0 | 1.50× | higher | better |", md, StringComparison.Ordinal);
        Assert.Contains("differ in mode (full vs quick)", md, StringComparison.Ordinal);
    }

    [Fact]
    public void CompareCommand_WritesTheMarkdownBesideTheAfterRunAndExitsZero()
    {
        var root = Directory.CreateTempSubdirectory("soulbox-compare-");
        try
        {
            var beforeFile = Path.Combine(Directory.CreateDirectory(Path.Combine(root.FullName, "20260101-000000")).FullName, ReportWriter.ResultsFile);
            var afterFile = Path.Combine(Directory.CreateDirectory(Path.Combine(root.FullName, "20260102-000000")).FullName, ReportWriter.ResultsFile);
            ReportWriter.WriteAll(Path.GetDirectoryName(beforeFile)!, Run("quick", ("throughput.x.u10.rps", 100)), null);
            ReportWriter.WriteAll(Path.GetDirectoryName(afterFile)!, Run("quick", ("throughput.x.u10.rps", 50)), null);

            var exit = CompareCommand.Run([beforeFile, afterFile]);

            Assert.Equal(0, exit);
            var md = File.ReadAllText(Path.Combine(root.FullName, "20260102-000000", "compare-vs-20260101-000000.md"));
            Assert.Contains("| throughput.x.u10.rps | 100.0 | 50.0 | 0.50× | higher | **worse** |", md, StringComparison.Ordinal);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public void CompareCommand_NeedsTwoFiles()
    {
        Assert.Throws<ArgumentException>(() => CompareCommand.Run(["only-one.json"]));
    }
}
