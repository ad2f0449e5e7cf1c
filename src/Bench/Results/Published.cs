namespace SoulBox.Bench.Results;

/// <summary>The figures SoulBox publishes (8-core Xeon), which the report prints beside this machine's.</summary>
internal static class Published
{
    public const string Machine = "8-core Xeon";

    // Cold start: mean / P50 / P95 / P99 / std dev, ms; competitors' means.
    public const double ColdMeanMs = 95, ColdP50Ms = 85, ColdP95Ms = 120, ColdP99Ms = 140, ColdStdDevMs = 25;
    public const double E2bColdMeanMs = 2150, InterpreterColdMeanMs = 1800;

    public static readonly Dictionary<int, double> ThroughputByUsers = new() { [1] = 180, [10] = 1251, [100] = 1457, [500] = 1389, [1000] = 1235 };

    public static readonly (string Label, double Mb)[] Memory =
        [("idle", 64), ("single execution", 128), ("10 concurrent", 256), ("100 concurrent", 1200), ("peak load", 2800)];

    public static readonly Dictionary<double, double> CpuByRate = new() { [10] = 8, [100] = 22, [500] = 38, [1000] = 45 };

    // Per language: startup ms, execution ms, memory MB.
    public static readonly Dictionary<string, (double StartupMs, double ExecMs, double MemoryMb)> Languages = new()
    {
        [SoulBox.Languages.Python] = (45, 115, 32),
        [SoulBox.Languages.JavaScript] = (35, 80, 24),
        [SoulBox.Languages.Go] = (25, 40, 16),
    };
}
