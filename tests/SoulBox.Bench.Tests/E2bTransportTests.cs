using System.Text.Json;
using SoulBox.Bench.Measurement;
using SoulBox.Bench.Results;
using SoulBox.Bench.Scenarios;
using SoulBox.Bench.Target;

namespace SoulBox.Bench.Tests;

/// <summary>The <c>e2b</c> transport: E2B's official SDK under node (Target/e2b-driver.mjs, installed by
/// scripts/e2b-sdks.sh) against a node the bench starts, and how its rows enter the options and the targets.</summary>
public sealed class E2bTransportTests
{
    [Theory]
    [InlineData("e2b", new[] { "e2b" })]
    [InlineData("client,e2b", new[] { "client", "e2b" })]
    [InlineData("all", new[] { "client", "e2b", "http" })]
    [InlineData("both", new[] { "client", "http" })]
    public void TransportOption_TakesE2bAloneOrInAList(string value, string[] expected)
    {
        var options = BenchOptions.Parse(["warm", "--transport", value]);
        Assert.Equal(expected, options.Transports.Order());
    }

    [Fact]
    public void TransportOption_DefaultsToAllThree() =>
        Assert.Equal(["client", "e2b", "http"], BenchOptions.Parse(["warm"]).Transports.Order());

    [Fact]
    public void TransportOption_RejectsAnUnknownTransport()
    {
        var error = Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["warm", "--transport", "client,grpc"]));
        Assert.Contains("client,grpc", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Targets_ForE2b_AreTheWarmMedianAndCreateOnly()
    {
        var results = new BenchResults();
        results.Run.Transports = ["client", "e2b"];
        results.Series.Add(new SeriesResult("warm", "soulbox-e2b", "hello", LatencyStats.From([2.0, 2.5, 4.0])));
        results.Stages.Add(new StageTiming("coldstart", "e2b: create sandbox (pool claim or container start)", 12, 30));

        Analysis.Complete(results);

        var e2b = results.Targets.Where(t => t.Source == "soulbox-e2b").ToList();
        Assert.Equal(["API P95 latency (warm hello)", "Warm run through E2B's SDK (P50)", "Container start (create sandbox, P50)"], e2b.Select(t => t.Name));
        var median = Assert.Single(e2b, t => t.Name == "Warm run through E2B's SDK (P50)");
        Assert.Equal(2.5, median.Value);
        Assert.True(median.Met);
        Assert.Equal(12, Assert.Single(e2b, t => t.Name.StartsWith("Container start", StringComparison.Ordinal)).Value);
    }

    /// <summary>Starts a node, the SDK's node driver, one python sandbox, and 20 warm <c>runCode('1+1')</c> through the SDK.</summary>
    [Fact]
    public async Task E2bWarm_RunsCodeThroughTheOfficialSdkAndWritesItsFigures()
    {
        var output = Path.Combine(Path.GetTempPath(), "soulbox-e2b-warm-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var run = E2bWarmCommand.RunAsync(["--iterations", "20", "--template", "python", "--out", output]);
            var finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromMinutes(4)));
            Assert.True(finished == run, "e2b-warm did not finish within 4 minutes");
            Assert.Equal(0, await run);

            using var figures = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "e2b-warm.json")));
            var root = figures.RootElement;
            Assert.Equal("1+1", root.GetProperty("code").GetString());
            Assert.Equal(20, root.GetProperty("iterations").GetInt32());
            Assert.Equal(0, root.GetProperty("failures").GetInt32());
            Assert.True(root.GetProperty("medianMs").GetDouble() > 0, "no median was measured");
            Assert.True(root.GetProperty("siloCpuMsPerCall").ValueKind == JsonValueKind.Number, "the silo's CPU per call is missing");
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
