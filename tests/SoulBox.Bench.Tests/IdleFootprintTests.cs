using SoulBox.Bench.Measurement;
using SoulBox.Bench.Results;
using SoulBox.Bench.Target;

namespace SoulBox.Bench.Tests;

/// <summary>The idle footprint figure: what the node's warm-pool gauge says, and how the report names the figure.</summary>
public sealed class IdleFootprintTests
{
    [Fact]
    public void PoolGauge_ReadsWarmContainersPerTemplate_AndNothingElse()
    {
        const string exposition = """
            # TYPE soulbox_pool_warm gauge
            soulbox_pool_warm{otel_scope_name="SoulBox",template="go"} 1
            soulbox_pool_warm{otel_scope_name="SoulBox",template="python"} 3 1733550000000
            soulbox_pool_warm_other{template="java"} 7
            soulbox_pool_hits_total{otel_scope_name="SoulBox",template="node"} 5
            """;

        var warm = PoolGauge.Parse(exposition);

        Assert.Equal(new Dictionary<string, int> { ["go"] = 1, ["python"] = 3 }, warm);
    }

    [Theory]
    [InlineData(true, "met")]
    [InlineData(false, "the pool was NOT filled")]
    public void IdleFigure_IsNamedAsTheIssueNamesIt_AndSaysWhenThePoolWasNotFilled(bool filled, string detail)
    {
        var results = new BenchResults { IdleNode = new ResourceSummary { SiloRssMeanMb = 60 }, IdleNodePoolFilled = filled };

        Analysis.Complete(results);

        var row = Assert.Single(results.Memory);
        Assert.StartsWith("idle (single-node silo RSS after start-up, pool filled", row.Label);
        var goal = Assert.Single(results.Goals, g => g.Goal.StartsWith("Idle single-node silo RSS after start-up, pool filled ≤ 64 MB", StringComparison.Ordinal));
        Assert.Contains(detail, goal.Detail);
        Assert.Equal(60, results.Metrics["memory.idle_node_rss_mb"]);
        Assert.Equal(60, results.Metrics["memory.idle.total_mb"]);
    }
}
