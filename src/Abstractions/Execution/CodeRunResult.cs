namespace SoulBox;

[GenerateSerializer, Immutable, Alias("soulbox.CodeRunResult")]
public sealed record CodeRunResult
{
    [Id(0)] public string Stdout { get; init; } = "";
    [Id(1)] public string Stderr { get; init; } = "";
    /// <summary>The last expression's value as text (repr / util.inspect), or null.</summary>
    [Id(2)] public string? Value { get; init; }
    [Id(3)] public CodeRunError? Error { get; init; }
    [Id(4)] public ExecutionStatus Status { get; init; }
    [Id(5)] public bool StdoutTruncated { get; init; }
    [Id(6)] public bool StderrTruncated { get; init; }
    [Id(7)] public double WallTimeMs { get; init; }
    [Id(8)] public int? ExitCode { get; init; }
}

[GenerateSerializer, Immutable, Alias("soulbox.CodeRunError")]
public sealed record CodeRunError
{
    [Id(0)] public required string Name { get; init; }
    [Id(1)] public string Value { get; init; } = "";
    [Id(2)] public string Traceback { get; init; } = "";
}
