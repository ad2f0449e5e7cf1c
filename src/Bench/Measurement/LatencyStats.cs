namespace SoulBox.Bench.Measurement;

/// <summary>Summary of one latency series. Percentiles are exact (nearest rank over every recorded sample),
/// so they are at least as precise as an HDR histogram at the sample counts a bench window produces.</summary>
internal sealed record LatencyStats
{
    public int Count { get; init; }
    public int Errors { get; init; }
    public Dictionary<string, int> ErrorsByKind { get; init; } = [];
    public double MeanMs { get; init; }
    public double StdDevMs { get; init; }
    public double MinMs { get; init; }
    public double P50Ms { get; init; }
    public double P95Ms { get; init; }
    public double P99Ms { get; init; }
    public double MaxMs { get; init; }

    public double ErrorRate => Count + Errors == 0 ? 0 : (double)Errors / (Count + Errors);

    public static LatencyStats Empty { get; } = new();

    public static LatencyStats From(IReadOnlyCollection<double> samplesMs, IReadOnlyDictionary<string, int>? errors = null)
    {
        var errorCounts = errors is null ? [] : new Dictionary<string, int>(errors);
        var errorTotal = errorCounts.Values.Sum();
        if (samplesMs.Count == 0)
        {
            return new LatencyStats { Errors = errorTotal, ErrorsByKind = errorCounts };
        }

        var sorted = samplesMs.ToArray();
        Array.Sort(sorted);
        var mean = sorted.Average();
        var variance = sorted.Sum(s => (s - mean) * (s - mean)) / sorted.Length;
        return new LatencyStats
        {
            Count = sorted.Length,
            Errors = errorTotal,
            ErrorsByKind = errorCounts,
            MeanMs = mean,
            StdDevMs = Math.Sqrt(variance),
            MinMs = sorted[0],
            P50Ms = Percentile(sorted, 50),
            P95Ms = Percentile(sorted, 95),
            P99Ms = Percentile(sorted, 99),
            MaxMs = sorted[^1],
        };
    }

    /// <summary>Nearest-rank percentile of an ascending array.</summary>
    public static double Percentile(double[] sorted, double percentile)
    {
        if (sorted.Length == 0)
        {
            return 0;
        }

        var rank = (int)Math.Ceiling(percentile / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}

/// <summary>Collects latencies and error kinds from one worker (no locking: one recorder per virtual user,
/// merged after the window).</summary>
internal sealed class LatencyRecorder
{
    public List<double> Samples { get; } = [];

    public Dictionary<string, int> Errors { get; } = [];

    public void Record(double ms) => Samples.Add(ms);

    public void Error(string kind) => Errors[kind] = Errors.GetValueOrDefault(kind) + 1;

    public static LatencyStats Merge(IEnumerable<LatencyRecorder> recorders)
    {
        var all = new List<double>();
        var errors = new Dictionary<string, int>();
        foreach (var recorder in recorders)
        {
            all.AddRange(recorder.Samples);
            foreach (var (kind, count) in recorder.Errors)
            {
                errors[kind] = errors.GetValueOrDefault(kind) + count;
            }
        }

        return LatencyStats.From(all, errors);
    }

    /// <summary>A short, stable name for what went wrong (exception type, or the failing status).</summary>
    public static string KindOf(Exception exception) => exception switch
    {
        OperationCanceledException => "timeout/cancelled",
        AggregateException { InnerException: { } inner } => KindOf(inner),
        SoulBoxException soulbox => soulbox.Code,
        Target.E2bSdkException e2b => "e2b " + e2b.Message.Split(':')[0],
        HttpRequestException { StatusCode: { } status } => $"HTTP {(int)status}",
        _ => exception.GetType().Name,
    };
}
