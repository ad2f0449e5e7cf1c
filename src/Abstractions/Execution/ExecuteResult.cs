namespace SoulBox;

/// <summary>Result of a one-shot run. The top-level fields describe the last stage that ran
/// (the run, or the compile when it failed); Compile holds the compile stage for Go and Java.</summary>
[GenerateSerializer, Immutable, Alias("soulbox.ExecuteResult")]
public sealed record ExecuteResult
{
    /// <summary>The canonical language the run used.</summary>
    [Id(0)] public required string Language { get; init; }
    /// <summary>How the last stage ended.</summary>
    [Id(1)] public ExecutionStatus Status { get; init; }
    /// <summary>Standard output of the last stage.</summary>
    [Id(2)] public string Stdout { get; init; } = "";
    /// <summary>Standard error of the last stage.</summary>
    [Id(3)] public string Stderr { get; init; } = "";
    /// <summary>Exit code of the last stage, or null when a signal ended it.</summary>
    [Id(4)] public int? ExitCode { get; init; }
    /// <summary>The signal that ended the last stage, if one did.</summary>
    [Id(5)] public int? Signal { get; init; }
    /// <summary>Wall-clock time of the last stage in milliseconds.</summary>
    [Id(6)] public double WallTimeMs { get; init; }
    /// <summary>CPU time of the last stage in milliseconds.</summary>
    [Id(7)] public double CpuTimeMs { get; init; }
    /// <summary>Peak memory of the last stage in bytes.</summary>
    [Id(8)] public long PeakMemoryBytes { get; init; }
    /// <summary>The compile stage (Go, Java), or null for interpreted languages.</summary>
    [Id(9)] public CommandResult? Compile { get; init; }
    /// <summary>The run stage, or null when compilation failed.</summary>
    [Id(10)] public CommandResult? Run { get; init; }
    /// <summary>The toolchain's version (for example the Python or Go version of the image).</summary>
    [Id(11)] public string Version { get; init; } = "";
}
