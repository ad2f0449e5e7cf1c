namespace SoulBox;

/// <summary>A one-shot run (Piston/Judge0 model): source in, result out, nothing kept.</summary>
[GenerateSerializer, Immutable, Alias("soulbox.ExecuteRequest")]
public sealed record ExecuteRequest
{
    /// <summary>Language or alias (python, py, js, go, java, bash, ...; see <see cref="Languages"/>).</summary>
    [Id(0)] public required string Language { get; init; }
    /// <summary>Single-file source; or use Files (the first file is the entry point).</summary>
    [Id(1)] public string? Code { get; init; }
    /// <summary>Source files when there is more than one (instead of <see cref="Code"/>).</summary>
    [Id(2)] public SourceFile[]? Files { get; init; }
    /// <summary>Text written to the program's standard input.</summary>
    [Id(3)] public string? Stdin { get; init; }
    /// <summary>Command-line arguments of the program.</summary>
    [Id(4)] public string[]? Args { get; init; }
    /// <summary>Limits of this run; null takes the node's defaults.</summary>
    [Id(5)] public ExecutionLimits? Limits { get; init; }
}

/// <summary>One source file of a one-shot run.</summary>
[GenerateSerializer, Immutable, Alias("soulbox.SourceFile")]
public sealed record SourceFile
{
    /// <summary>File name relative to the run's directory; default from the language (main.py, Main.java, ...).</summary>
    [Id(0)] public string? Name { get; init; }
    /// <summary>The file's content, encoded as <see cref="Encoding"/> says.</summary>
    [Id(1)] public required string Content { get; init; }
    /// <summary>Content encoding: "utf8" (default) or "base64".</summary>
    [Id(2)] public string? Encoding { get; init; }
}

/// <summary>Limits of a one-shot run; null fields take the node's defaults.</summary>
[GenerateSerializer, Immutable, Alias("soulbox.ExecutionLimits")]
public sealed record ExecutionLimits
{
    /// <summary>Wall-clock limit of the run stage in milliseconds.</summary>
    [Id(0)] public int? RunTimeoutMs { get; init; }
    /// <summary>Wall-clock limit of the compile stage in milliseconds.</summary>
    [Id(1)] public int? CompileTimeoutMs { get; init; }
    /// <summary>Memory limit of the run's container in MiB.</summary>
    [Id(2)] public int? MemoryMb { get; init; }
    /// <summary>Per-stream output cap in bytes.</summary>
    [Id(3)] public long? MaxOutputBytes { get; init; }
    /// <summary>Memory limit of the compile stage in MiB (compiled languages), apart from the run's: the executor's
    /// memory limit is set to it while the compiler runs and back to <see cref="MemoryMb"/> before the program starts.
    /// Default: the larger of <see cref="MemoryMb"/> and the node's DefaultCompileMemoryMb (512), so a small judge
    /// limit on the program does not starve the compiler.</summary>
    [Id(4)] public int? CompileMemoryMb { get; init; }
    /// <summary>Per-stream cap of the compiler's output in bytes, apart from the program's; default the node's
    /// DefaultMaxOutputBytes.</summary>
    [Id(5)] public long? CompileMaxOutputBytes { get; init; }
}
