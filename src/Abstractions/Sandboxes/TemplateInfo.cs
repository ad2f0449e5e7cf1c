namespace SoulBox;

/// <summary>A runtime image present on a worker node.</summary>
[GenerateSerializer, Immutable, Alias("soulbox.TemplateInfo")]
public sealed record TemplateInfo
{
    /// <summary>Template name (python, node, go, java).</summary>
    [Id(0)] public required string Name { get; init; }
    /// <summary>The language its kernel runs by default.</summary>
    [Id(1)] public required string Language { get; init; }
    /// <summary>The toolchain's version in the image.</summary>
    [Id(2)] public string Version { get; init; } = "";
    /// <summary>The Docker image it is made from.</summary>
    [Id(3)] public string Image { get; init; } = "";
}
