namespace SoulBox;

/// <summary>One program judged against many test cases (Judge0/online-judge model): the source is compiled once,
/// then every case runs in a fresh process with the one-shot isolation guarantees (nothing a case leaves — files,
/// processes — is seen by another) and its output is compared with the case's expected output.</summary>
[GenerateSerializer, Immutable, Alias("soulbox.ExecuteBatchRequest")]
public sealed record ExecuteBatchRequest
{
    /// <summary>Language or alias (python, py, js, go, java, bash, ...; see <see cref="Languages"/>).</summary>
    [Id(0)] public required string Language { get; init; }
    /// <summary>Single-file source; or use Files (the first file is the entry point).</summary>
    [Id(1)] public string? Code { get; init; }
    /// <summary>Source files when there is more than one (instead of <see cref="Code"/>).</summary>
    [Id(2)] public SourceFile[]? Files { get; init; }
    /// <summary>The test cases, run in any order (results come back in this order); at least one.</summary>
    [Id(3)] public required TestCase[] Cases { get; init; }
    /// <summary>How each case's output is compared with its expected output; null: ignoring trailing whitespace.</summary>
    [Id(4)] public OutputComparison? Comparison { get; init; }
    /// <summary>Limits of the compile and defaults of every case; null fields take the node's defaults.</summary>
    [Id(5)] public ExecutionLimits? Limits { get; init; }
    /// <summary>Most cases run at once (each in its own executor, within the tenant's fair share of the node);
    /// null: the node's SoulBox:Sandbox:MaxBatchParallelism. 1 runs the cases one after another.</summary>
    [Id(6)] public int? MaxParallelism { get; init; }
    /// <summary>The staged input files the cases' <see cref="TestCase.StdinFile"/> and
    /// <see cref="TestCase.ExpectedOutputFile"/> name, on the node that runs the batch. Set by
    /// <c>SoulBoxExecution.ExecuteBatchAsync</c> when the files are sent with the batch (the .NET client's input
    /// files, the HTTP gateway's multipart body); callers leave it null.</summary>
    [Id(7)] public string? InputSet { get; init; }
}

/// <summary>One test case of a batch: the program's input and the output it must print.</summary>
[GenerateSerializer, Immutable, Alias("soulbox.TestCase")]
public sealed record TestCase
{
    /// <summary>Text written to the program's standard input.</summary>
    [Id(0)] public string? Stdin { get; init; }
    /// <summary>Command-line arguments of the program for this case.</summary>
    [Id(1)] public string[]? Args { get; init; }
    /// <summary>The output the program must print; null: the case is judged by its exit alone (accepted when it
    /// exits 0 within its limits).</summary>
    [Id(2)] public string? ExpectedOutput { get; init; }
    /// <summary>This case's run limits (RunTimeoutMs, MemoryMb, MaxOutputBytes) over the batch's; CompileTimeoutMs
    /// is the batch's alone.</summary>
    [Id(3)] public ExecutionLimits? Limits { get; init; }
    /// <summary>A name of the caller's choosing, echoed in the case's result.</summary>
    [Id(4)] public string? Name { get; init; }
    /// <summary>Instead of <see cref="Stdin"/>: the name of an input file sent with the batch (a part of the multipart
    /// body, a key of the .NET client's input files), streamed to the program; for inputs too large for a JSON body.</summary>
    [Id(5)] public string? StdinFile { get; init; }
    /// <summary>Instead of <see cref="ExpectedOutput"/>: the name of an input file sent with the batch.</summary>
    [Id(6)] public string? ExpectedOutputFile { get; init; }
}
