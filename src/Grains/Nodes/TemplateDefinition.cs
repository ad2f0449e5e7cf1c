namespace SoulBox.Grains.Nodes;

/// <summary>What a template is, built-in or registered: its image, the languages it runs (the first is the default),
/// the sandbox user and home, and the defaults of its sandboxes (null: the node's).</summary>
public sealed record TemplateDefinition
{
    public required string Name { get; init; }
    /// <summary>Image reference its containers start from.</summary>
    public required string Image { get; init; }
    /// <summary>Canonical language names; the first is the default (bash runs in every template besides).</summary>
    public required IReadOnlyList<string> Languages { get; init; }
    public required string User { get; init; }
    public required string Home { get; init; }
    /// <summary>Registered in configuration (SoulBox:Templates), not one of SoulBox's own.</summary>
    public bool Custom { get; init; }
    public int? MemoryMb { get; init; }
    public double? Cpu { get; init; }
    public int? TimeoutSeconds { get; init; }
    /// <summary>Warm containers kept with no demand; null: SoulBox:Pool:MinWarmPerTemplate.</summary>
    public int? MinWarm { get; init; }
    /// <summary>Version to show; null: the image's soulbox.version label.</summary>
    public string? Version { get; init; }

    public string DefaultLanguage => Languages[0];

    /// <summary>Whether code in <paramref name="language"/> (canonical) can run here.</summary>
    public bool Supports(string language) => language == SoulBox.Languages.Shell || Languages.Contains(language);
}
