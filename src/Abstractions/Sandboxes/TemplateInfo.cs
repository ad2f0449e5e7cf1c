namespace SoulBox;

/// <summary>A runtime image present on a worker node.</summary>
[GenerateSerializer, Immutable, Alias("soulbox.TemplateInfo")]
public sealed record TemplateInfo
{
    /// <summary>Template name (python, node, go, java, base, code-interpreter).</summary>
    [Id(0)] public required string Name { get; init; }
    /// <summary>The language its kernel runs by default.</summary>
    [Id(1)] public required string Language { get; init; }
    /// <summary>The toolchain's version in the image.</summary>
    [Id(2)] public string Version { get; init; } = "";
    /// <summary>The Docker image it is made from.</summary>
    [Id(3)] public string Image { get; init; } = "";
    /// <summary>Every language code can run in (bash besides): python and javascript in base and code-interpreter.</summary>
    [Id(4)] public string[] Languages { get; init; } = [];
    /// <summary>The sandbox user's name (sandbox; user in the E2B-style templates).</summary>
    [Id(5)] public string User { get; init; } = "";
    /// <summary>The sandbox user's home, its default working directory (/home/sandbox; /home/user in the E2B-style templates).</summary>
    [Id(6)] public string Home { get; init; } = "";
    /// <summary>The version of each language the image runs, read from its toolchain at setup (labels
    /// <c>soulbox.version.&lt;language&gt;</c>); empty for an image that runs one language (see <see cref="Version"/>).</summary>
    [Id(7)] public Dictionary<string, string> LanguageVersions { get; init; } = [];

    /// <summary>The installed version of <paramref name="language"/>: its own label, else the image's version.</summary>
    public string VersionOf(string language) =>
        LanguageVersions.TryGetValue(language, out var version) && version.Length > 0 ? version : Version;

    /// <summary>Whether sandboxes can be created from it now. A registered template (SoulBox:Templates) is listed even
    /// when its image is missing or the agent cannot run in it, with <see cref="UnavailableReason"/> saying which.</summary>
    [Id(8)] public bool Available { get; init; } = true;
    /// <summary>Why <see cref="Available"/> is false (the image missing, a glibc too old for the agent); null when available.</summary>
    [Id(9)] public string? UnavailableReason { get; init; }
    /// <summary>Registered by the operator in configuration (SoulBox:Templates), not one of SoulBox's own.</summary>
    [Id(10)] public bool Custom { get; init; }
}
