namespace SoulBox;

/// <summary>Code to run in a sandbox's kernel (Python, JavaScript) or as a program (Go, Java, bash).</summary>
[GenerateSerializer, Immutable, Alias("soulbox.CodeRunRequest")]
public sealed record CodeRunRequest
{
    /// <summary>The source to run.</summary>
    [Id(0)] public required string Code { get; init; }
    /// <summary>Language or alias; default is the sandbox template's language.</summary>
    [Id(1)] public string? Language { get; init; }
    /// <summary>Context to run in (CreateContextAsync); null uses the language's default context.</summary>
    [Id(2)] public string? ContextId { get; init; }
    /// <summary>Extra environment variables for this run.</summary>
    [Id(3)] public Dictionary<string, string>? Env { get; init; }
    /// <summary>Wall-clock limit in ms; default from the node's options.</summary>
    [Id(4)] public int? TimeoutMs { get; init; }
}
