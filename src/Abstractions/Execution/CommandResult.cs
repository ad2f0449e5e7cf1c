namespace SoulBox;

[GenerateSerializer, Immutable, Alias("soulbox.CommandResult")]
public sealed record CommandResult
{
    [Id(0)] public string Stdout { get; init; } = "";
    [Id(1)] public string Stderr { get; init; } = "";
    /// <summary>Exit code, or null when a signal ended the process.</summary>
    [Id(2)] public int? ExitCode { get; init; }
    [Id(3)] public int? Signal { get; init; }
    [Id(4)] public ExecutionStatus Status { get; init; }
    [Id(5)] public bool StdoutTruncated { get; init; }
    [Id(6)] public bool StderrTruncated { get; init; }
    [Id(7)] public double WallTimeMs { get; init; }
    [Id(8)] public double CpuTimeMs { get; init; }
    [Id(9)] public long PeakMemoryBytes { get; init; }
}
