using System.Text.Json;
using System.Xml.Linq;
using SoulBox.Bench.Report;
using SoulBox.Bench.Results;

namespace SoulBox.Bench.Tests;

/// <summary>Runs <c>SoulBox.Bench all --quick</c> for real (it starts its own node and talks to the real Docker
/// engine) and checks that the report, the JSON and the charts are all there and complete. No speed assertions:
/// timing goals live in the bench's own report.</summary>
public sealed class QuickRunTests
{
    private static readonly string[] ReportSections =
    [
        "## Summary",
        "## Goals on this",
        "## Cold start: create a sandbox and run `print('Hello World')`",
        "## Warm execution: `print('Hello World')` in an existing sandbox",
        "## Throughput by concurrent users",
        "## Memory by load",
        "## CPU utilisation at offered load",
        "## Per language: startup, execution, memory overhead",
        "## Per language: a batch of 20 cases against 20 one-shot calls",
        "## Published targets",
        "## Where the time goes",
        "## Charts",
    ];

    [Fact]
    public async Task QuickRun_WritesCompleteReportJsonAndCharts()
    {
        var output = Path.Combine(Path.GetTempPath(), "soulbox-bench-smoke-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var run = BenchCommand.RunAsync(["all", "--quick", "--out", output]);
            var finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromMinutes(6)));
            Assert.True(finished == run, "the --quick bench run did not finish within 6 minutes");
            Assert.Equal(0, await run);

            var report = await File.ReadAllTextAsync(Path.Combine(output, ReportWriter.ReportFile));
            foreach (var section in ReportSections)
            {
                Assert.Contains(section, report, StringComparison.Ordinal);
            }

            foreach (var published in new[] { "SoulBox published", "E2B published", "docker run --rm here", "docker exec here", "| 1,457 |", "| SoulBox here (E2B SDK) |" })
            {
                Assert.Contains(published, report, StringComparison.Ordinal);
            }

            var results = ReportWriter.Load(Path.Combine(output, ReportWriter.ResultsFile));
            AssertResultsComplete(results);

            using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, ReportWriter.ResultsFile)));
            foreach (var field in new[] { "run", "series", "throughput", "memory", "cpu", "languages", "batches", "targets", "goals", "stages", "idleNode", "metrics" })
            {
                Assert.True(json.RootElement.TryGetProperty(field, out _), $"results.json has no '{field}'");
            }

            foreach (var chart in ReportWriter.ChartFiles)
            {
                var svg = XDocument.Load(Path.Combine(output, chart));
                Assert.Equal("svg", svg.Root!.Name.LocalName);
                Assert.Contains(svg.Root.Descendants(), e => e.Name.LocalName is "rect" or "circle" or "polyline");
                Assert.Contains($"]({chart})", report, StringComparison.Ordinal);
            }
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }

    private static void AssertResultsComplete(BenchResults results)
    {
        Assert.Equal("quick", results.Run.Mode);
        Assert.Contains("client", results.Run.Transports);
        Assert.NotNull(results.IdleNode);
        Assert.True(results.IdleNode.SiloRssMeanMb > 0, "idle node RSS was not sampled");
        // The idle figure is the node ready to serve: sampled once its warm pool held a container per template.
        Assert.True(results.IdleNodePoolFilled, $"the warm pool was not filled when the idle node was sampled: {string.Join(", ", results.IdleNodeWarmContainers)}");
        Assert.Contains("python", results.IdleNodeWarmContainers.Keys);

        Assert.Contains(results.Series, s => s is { Scenario: "coldstart", System: "soulbox-client" } && s.Latency.Count > 0);
        Assert.Contains(results.Series, s => s is { Scenario: "coldstart", System: "docker-run" } && s.Latency.Count > 0);
        Assert.Contains(results.Series, s => s is { Scenario: "warm", System: "soulbox-client" } && s.Latency.Count > 0);
        Assert.Contains(results.Series, s => s is { Scenario: "warm", System: "docker-exec" } && s.Latency.Count > 0);
        // The E2B SDK rows (the e2b transport, E2B's official SDK under node): warm and cold start, never a load window.
        Assert.Contains("e2b", results.Run.Transports);
        Assert.Contains(results.Series, s => s is { Scenario: "coldstart", System: "soulbox-e2b" } && s.Latency.Count > 0 && s.Latency.Errors == 0);
        Assert.Contains(results.Series, s => s is { Scenario: "warm", System: "soulbox-e2b" } && s.Latency.Count > 0 && s.Latency.Errors == 0);
        Assert.DoesNotContain(results.Throughput, t => t.System == "soulbox-e2b");

        foreach (var users in new[] { 1, 10 })
        {
            var point = Assert.Single(results.Throughput, t => t.System == "soulbox-client" && t.Users == users);
            Assert.True(point.Rps > 0, $"no throughput at {users} users");
            Assert.NotNull(point.Resources);
        }

        Assert.Contains(results.Throughput, t => t.System == "docker-exec");
        Assert.Contains(results.Throughput, t => t.System == "docker-run");
        Assert.Contains(results.Memory, m => m.Label == $"idle ({BenchResults.IdleNodeLabel["idle ".Length..]})");
        Assert.Contains(results.Memory, m => m.Label == "single execution");
        Assert.Contains(results.Memory, m => m.Label == "10 concurrent");
        Assert.Contains(results.Cpu, c => c.System == "soulbox-client" && c.AchievedRps > 0);
        Assert.Contains(results.Cpu, c => c.System == "docker-exec");
        Assert.Contains(results.Languages, l => l.Language == "python" && l.Available && l.Execution!.Count > 0);
        // The batch comparison of the quick languages: one measured round each, every verdict and output accepted.
        foreach (var language in new[] { "python", "javascript" })
        {
            var batch = Assert.Single(results.Batches, b => b.Language == language);
            Assert.True(batch.Available, batch.Reason);
            Assert.Equal(1, batch.Batch!.Count);
            Assert.Equal(1, batch.OneShots!.Count);
            Assert.True(batch.Batch.Errors + batch.OneShots.Errors == 0, $"{language}: {batch.FirstFailure}");
            Assert.NotNull(batch.Speedup);
            Assert.Contains($"batch.{language}.calls_vs_batch.speedup", results.Metrics.Keys);
        }

        Assert.Contains(results.Goals, g => g.Goal.StartsWith("A batch of 20 cases", StringComparison.Ordinal));
        Assert.NotEmpty(results.Targets);
        Assert.Contains(results.Goals, g => g.Goal.StartsWith("Warm execution", StringComparison.Ordinal));
        Assert.Contains(results.Goals, g => g.Goal.StartsWith("Idle single-node silo RSS after start-up, pool filled", StringComparison.Ordinal));
        Assert.Contains(results.Stages, s => s.Scenario == "warm");
        Assert.Contains("warm.soulbox-client.hello.p95_ms", results.Metrics.Keys);
        Assert.Contains("memory.idle_node_rss_mb", results.Metrics.Keys);
        Assert.Contains(results.Summary, l => l.StartsWith("CPU per request at the top throughput level via client", StringComparison.Ordinal));

        // The Jupyter kernel baseline needs a bench-only image CI does not build: measured beside SoulBox when the
        // image is there, else a "not available" note that says how to build it, never a failed run.
        if (results.Series.Any(s => s.System == "jupyter-kernel"))
        {
            Assert.Contains(results.Throughput, t => t is { System: "jupyter-kernel", Users: 10, Rps: > 0 });
            Assert.Contains(results.Summary, l => l.Contains("SoulBox ÷ kernel", StringComparison.Ordinal));
        }
        else
        {
            var skipped = Assert.Single(results.Skipped, s => s.Scenario == "Jupyter kernel baseline");
            Assert.Contains("--build-jupyter", skipped.Reason, StringComparison.Ordinal);
        }
    }
}
