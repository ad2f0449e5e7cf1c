namespace SoulBox;

/// <summary>A runtime image present on a worker node.</summary>
[GenerateSerializer, Immutable, Alias("soulbox.TemplateInfo")]
public sealed record TemplateInfo
{
    [Id(0)] public required string Name { get; init; }
    [Id(1)] public required string Language { get; init; }
    [Id(2)] public string Version { get; init; } = "";
    [Id(3)] public string Image { get; init; } = "";
}
