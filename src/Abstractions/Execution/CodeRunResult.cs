namespace SoulBox;

/// <summary>Result of running code in a sandbox's kernel (<c>RunCodeAsync</c>): its output, the last expression's value, and the error it raised, if any.</summary>
[GenerateSerializer, Immutable, Alias("soulbox.CodeRunResult")]
public sealed record CodeRunResult
{
    /// <summary>Standard output (up to the output cap; see <see cref="StdoutTruncated"/>).</summary>
    [Id(0)] public string Stdout { get; init; } = "";
    /// <summary>Standard error (up to the output cap; see <see cref="StderrTruncated"/>).</summary>
    [Id(1)] public string Stderr { get; init; } = "";
    /// <summary>The last expression's value as text (repr / util.inspect), or null.</summary>
    [Id(2)] public string? Value { get; init; }
    /// <summary>The uncaught exception, or null when the code ran to its end.</summary>
    [Id(3)] public CodeRunError? Error { get; init; }
    /// <summary>How the run ended.</summary>
    [Id(4)] public ExecutionStatus Status { get; init; }
    /// <summary>Whether stdout passed the output cap and was cut.</summary>
    [Id(5)] public bool StdoutTruncated { get; init; }
    /// <summary>Whether stderr passed the output cap and was cut.</summary>
    [Id(6)] public bool StderrTruncated { get; init; }
    /// <summary>Wall-clock time of the run in milliseconds.</summary>
    [Id(7)] public double WallTimeMs { get; init; }
    /// <summary>Exit code when the kernel process ended (for example killed at a limit), otherwise null.</summary>
    [Id(8)] public int? ExitCode { get; init; }
    /// <summary>Rich outputs in the order produced: display outputs, figures, and the last expression's value
    /// (IsMainResult) with every representation it has. <see cref="Value"/> stays its text/plain.</summary>
    [Id(9)] public RichResult[] Results { get; init; } = [];
}

/// <summary>An exception raised by code run in a kernel.</summary>
[GenerateSerializer, Immutable, Alias("soulbox.CodeRunError")]
public sealed record CodeRunError
{
    /// <summary>The exception's type name (ZeroDivisionError, TypeError, ...).</summary>
    [Id(0)] public required string Name { get; init; }
    /// <summary>The exception's message.</summary>
    [Id(1)] public string Value { get; init; } = "";
    /// <summary>The formatted traceback.</summary>
    [Id(2)] public string Traceback { get; init; } = "";
}
