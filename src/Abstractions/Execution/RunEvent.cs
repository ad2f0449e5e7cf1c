namespace SoulBox;

[GenerateSerializer, Alias("soulbox.OutputKind")]
public enum OutputKind
{
    Stdout,
    Stderr,
}

/// <summary>One streamed piece of a run: output as it is produced, then exactly one final item
/// carrying the result (CodeResult or CommandResult set, Text empty).</summary>
[GenerateSerializer, Immutable, Alias("soulbox.RunEvent")]
public sealed record RunEvent
{
    [Id(0)] public OutputKind Kind { get; init; }
    [Id(1)] public string Text { get; init; } = "";
    [Id(2)] public CodeRunResult? CodeResult { get; init; }
    [Id(3)] public CommandResult? CommandResult { get; init; }

    public bool IsFinal => CodeResult is not null || CommandResult is not null;
}
