namespace SoulBox;

/// <summary>A stateful code context (a persistent kernel) of a sandbox.</summary>
[GenerateSerializer, Immutable, Alias("soulbox.CodeContextInfo")]
public sealed record CodeContextInfo
{
    /// <summary>Its id, for <c>CodeRunRequest.ContextId</c>.</summary>
    [Id(0)] public required string Id { get; init; }
    /// <summary>python or javascript.</summary>
    [Id(1)] public required string Language { get; init; }
    /// <summary>The kernel's working directory.</summary>
    [Id(2)] public string Cwd { get; init; } = "";
}
