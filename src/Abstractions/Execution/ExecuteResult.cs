namespace SoulBox;

/// <summary>Result of a one-shot run. The top-level fields describe the last stage that ran
/// (the run, or the compile when it failed); Compile holds the compile stage for Go and Java.</summary>
[GenerateSerializer, Immutable, Alias("soulbox.ExecuteResult")]
public sealed record ExecuteResult
{
    [Id(0)] public required string Language { get; init; }
    [Id(1)] public ExecutionStatus Status { get; init; }
    [Id(2)] public string Stdout { get; init; } = "";
    [Id(3)] public string Stderr { get; init; } = "";
    [Id(4)] public int? ExitCode { get; init; }
    [Id(5)] public int? Signal { get; init; }
    [Id(6)] public double WallTimeMs { get; init; }
    [Id(7)] public double CpuTimeMs { get; init; }
    [Id(8)] public long PeakMemoryBytes { get; init; }
    [Id(9)] public CommandResult? Compile { get; init; }
    /// <summary>The run stage, or null when compilation failed.</summary>
    [Id(10)] public CommandResult? Run { get; init; }
    [Id(11)] public string Version { get; init; } = "";
}
