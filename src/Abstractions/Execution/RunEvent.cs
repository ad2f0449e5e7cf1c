namespace SoulBox;

/// <summary>Which stream a piece of output came from.</summary>
[GenerateSerializer, Alias("soulbox.OutputKind")]
public enum OutputKind
{
    /// <summary>Standard output.</summary>
    Stdout,
    /// <summary>Standard error.</summary>
    Stderr,
}

/// <summary>One streamed piece of a run: output as it is produced, then exactly one final item
/// carrying the result (CodeResult or CommandResult set, Text empty).</summary>
[GenerateSerializer, Immutable, Alias("soulbox.RunEvent")]
public sealed record RunEvent
{
    /// <summary>The stream <see cref="Text"/> came from.</summary>
    [Id(0)] public OutputKind Kind { get; init; }
    /// <summary>Output as it was produced (empty on the final item).</summary>
    [Id(1)] public string Text { get; init; } = "";
    /// <summary>The result of a code run, on the final item of a code stream.</summary>
    [Id(2)] public CodeRunResult? CodeResult { get; init; }
    /// <summary>The result of a command, on the final item of a command stream.</summary>
    [Id(3)] public CommandResult? CommandResult { get; init; }
    /// <summary>A rich output produced during the run (display(), a figure), streamed as it appears. Streamed
    /// results are also the first items of the final <see cref="CodeRunResult.Results"/>, in the same order.</summary>
    [Id(4)] public RichResult? Result { get; init; }

    /// <summary>Whether this is the last item, the one with the result.</summary>
    public bool IsFinal => CodeResult is not null || CommandResult is not null;
}
