using SoulBox.Bench.Results;

namespace SoulBox.Bench.Planning;

/// <summary>Which way a metric should move.</summary>
internal enum Better
{
    /// <summary>No direction: e.g. machine CPU % of a closed-loop level, which grows with the requests served.</summary>
    Neither,
    Lower,
    Higher,
}

/// <summary>How a metric moved from the first run to the second.</summary>
internal enum Verdict
{
    Better,
    Worse,
    /// <summary>Within <see cref="Comparison.NoiseBand"/> of the first run.</summary>
    Same,
    /// <summary>Changed, but the metric has no better direction.</summary>
    Changed,
    OnlyBefore,
    OnlyAfter,
}

/// <summary>One metric of the flat <c>metrics</c> map in both runs. <see cref="Ratio"/> is after ÷ before (null when
/// a run lacks it, infinite when it grew from 0).</summary>
internal sealed record MetricChange(string Metric, double? Before, double? After, Better Better, Verdict Verdict)
{
    public double? Ratio => Before is { } b && After is { } a
        ? b == 0 ? (a == 0 ? 1 : double.PositiveInfinity) : a / b
        : null;
}

internal sealed record ComparisonReport(string BeforeFile, string AfterFile, RunInfo BeforeRun, RunInfo AfterRun, List<MetricChange> Changes)
{
    public int Count(Verdict verdict) => Changes.Count(c => c.Verdict == verdict);
}

/// <summary>Before/after of two results.json files, metric by metric (every key of either run's flat <c>metrics</c>
/// map), with the direction each metric should move taken from its name. Unlike <see cref="Regression"/> it has no
/// limits and fails nothing: it is for reading, e.g. a change's effect measured back to back.</summary>
internal static class Comparison
{
    /// <summary>Relative changes smaller than this are "same": run-to-run noise on a quiet machine is of this order.</summary>
    public const double NoiseBand = 0.02;

    public static ComparisonReport Compare(string beforeFile, BenchResults before, string afterFile, BenchResults after)
    {
        var changes = before.Metrics.Keys.Union(after.Metrics.Keys).Order(StringComparer.Ordinal).Select(metric =>
        {
            double? b = before.Metrics.TryGetValue(metric, out var bv) ? bv : null;
            double? a = after.Metrics.TryGetValue(metric, out var av) ? av : null;
            var better = DirectionOf(metric);
            return new MetricChange(metric, b, a, better, VerdictOf(b, a, better));
        }).ToList();
        return new ComparisonReport(beforeFile, afterFile, before.Run, after.Run, changes);
    }

    /// <summary>The better direction, from the metric's name as <see cref="Analysis"/> writes it.</summary>
    public static Better DirectionOf(string metric)
    {
        if (metric.EndsWith(".speedup", StringComparison.Ordinal) || metric.EndsWith("rps", StringComparison.Ordinal))
        {
            return Better.Higher;
        }

        if (metric.EndsWith("_ms", StringComparison.Ordinal) || metric.EndsWith("_ms_per_req", StringComparison.Ordinal)
            || metric.EndsWith("_mb", StringComparison.Ordinal) || metric.EndsWith(".errors", StringComparison.Ordinal))
        {
            return Better.Lower;
        }

        // CPU at a fixed offered rate (the cpu scenario): less is better. In a closed-loop window CPU follows the
        // requests served, so it has no better direction there.
        if (metric.StartsWith("cpu.", StringComparison.Ordinal) && metric.EndsWith("_cpu_percent", StringComparison.Ordinal))
        {
            return Better.Lower;
        }

        return Better.Neither;
    }

    public static Verdict VerdictOf(double? before, double? after, Better better)
    {
        if (before is not { } b)
        {
            return Verdict.OnlyAfter;
        }

        if (after is not { } a)
        {
            return Verdict.OnlyBefore;
        }

        var scale = Math.Max(Math.Abs(b), Math.Abs(a));
        if (scale == 0 || Math.Abs(a - b) <= NoiseBand * Math.Abs(b == 0 ? scale : b))
        {
            return Verdict.Same;
        }

        return better switch
        {
            Better.Lower => a < b ? Verdict.Better : Verdict.Worse,
            Better.Higher => a > b ? Verdict.Better : Verdict.Worse,
            _ => Verdict.Changed,
        };
    }
}
