namespace SoulBox;

/// <summary>Result of a process run in a sandbox (or one stage of a one-shot run).</summary>
[GenerateSerializer, Immutable, Alias("soulbox.CommandResult")]
public sealed record CommandResult
{
    /// <summary>Standard output (up to the output cap).</summary>
    [Id(0)] public string Stdout { get; init; } = "";
    /// <summary>Standard error (up to the output cap).</summary>
    [Id(1)] public string Stderr { get; init; } = "";
    /// <summary>Exit code, or null when a signal ended the process.</summary>
    [Id(2)] public int? ExitCode { get; init; }
    /// <summary>The signal that ended the process, if one did.</summary>
    [Id(3)] public int? Signal { get; init; }
    /// <summary>How the process ended.</summary>
    [Id(4)] public ExecutionStatus Status { get; init; }
    /// <summary>Whether stdout passed the output cap and was cut.</summary>
    [Id(5)] public bool StdoutTruncated { get; init; }
    /// <summary>Whether stderr passed the output cap and was cut.</summary>
    [Id(6)] public bool StderrTruncated { get; init; }
    /// <summary>Wall-clock time in milliseconds.</summary>
    [Id(7)] public double WallTimeMs { get; init; }
    /// <summary>CPU time (user + system) of the process tree in milliseconds.</summary>
    [Id(8)] public double CpuTimeMs { get; init; }
    /// <summary>Peak memory in bytes.</summary>
    [Id(9)] public long PeakMemoryBytes { get; init; }
    /// <summary>True for a compile stage that did not run: an identical earlier compile on the same node (same
    /// toolchain, sources and flags) left its outputs in the node's compile cache. Its output is that compile's;
    /// its times and memory are zero.</summary>
    [Id(10)] public bool Cached { get; init; }
}
