using SoulBox.Bench.Results;

namespace SoulBox.Bench.Planning;

/// <summary>A metric that got worse than its allowance against an earlier run.</summary>
internal sealed record RegressionAlert(string Metric, double Baseline, double Current, double Limit)
{
    public double Ratio => Baseline == 0 ? double.PositiveInfinity : Current / Baseline;
}

internal sealed record RegressionReport(string BaselineFile, DateTimeOffset BaselineStartedAt, int Compared, List<RegressionAlert> Alerts);

/// <summary>Compares a run with an earlier results.json: a P95 latency more than 1.2× its baseline, or a
/// memory figure more than 1.5×, is a regression. Metrics present in only one run are not compared.</summary>
internal static class Regression
{
    public const double LatencyLimit = 1.2;
    public const double MemoryLimit = 1.5;

    /// <summary>Differences below these are noise whatever the ratio (sub-millisecond latencies, a few MB).</summary>
    private const double LatencyFloorMs = 0.5;
    private const double MemoryFloorMb = 4;

    public static RegressionReport Compare(string baselineFile, BenchResults baseline, BenchResults current)
    {
        var alerts = new List<RegressionAlert>();
        var compared = 0;
        foreach (var (metric, before) in baseline.Metrics)
        {
            if (!current.Metrics.TryGetValue(metric, out var now))
            {
                continue;
            }

            var (limit, floor) = metric.EndsWith("p95_ms", StringComparison.Ordinal) ? (LatencyLimit, LatencyFloorMs)
                : metric.EndsWith("_mb", StringComparison.Ordinal) ? (MemoryLimit, MemoryFloorMb)
                : (0, 0);
            if (limit == 0)
            {
                continue;
            }

            compared++;
            if (now > before * limit && now - before > floor)
            {
                alerts.Add(new RegressionAlert(metric, before, now, limit));
            }
        }

        return new RegressionReport(baselineFile, baseline.Run.StartedAt, compared, alerts);
    }
}
