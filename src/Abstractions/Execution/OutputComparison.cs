using System.Text.Json.Serialization;

namespace SoulBox;

/// <summary>How a test case's output is compared with its expected output.</summary>
[GenerateSerializer, Immutable, Alias("soulbox.OutputComparison")]
public sealed record OutputComparison
{
    /// <summary>The comparison; default <see cref="ComparisonMode.TrailingWhitespace"/>.</summary>
    [Id(0)] public ComparisonMode Mode { get; init; }
    /// <summary>Tokens mode only: two tokens that both read as numbers match when they differ by at most this,
    /// absolutely or relative to the expected one (1e-6 accepts 0.3333333 for 1/3). Null: tokens compare as text.</summary>
    [Id(1)] public double? FloatTolerance { get; init; }
}

/// <summary>Comparison modes of <see cref="OutputComparison"/>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ComparisonMode>))]
[GenerateSerializer, Alias("soulbox.ComparisonMode")]
public enum ComparisonMode
{
    /// <summary>Line by line, each line without its trailing whitespace (so CRLF equals LF), trailing empty lines
    /// ignored. The default: what most judges call "exact" in practice.</summary>
    TrailingWhitespace,
    /// <summary>Byte for byte.</summary>
    Exact,
    /// <summary>Whitespace-separated tokens, in order; line breaks and runs of blanks do not matter. With a
    /// <see cref="OutputComparison.FloatTolerance"/>, numeric tokens match within it.</summary>
    Tokens,
}

/// <summary>Wire names of <see cref="ComparisonMode"/>.</summary>
public static class ComparisonModeNames
{
    /// <summary>Stable snake_case names used on the wire.</summary>
    public static string ToWire(this ComparisonMode mode) => mode switch
    {
        ComparisonMode.TrailingWhitespace => "trailing_whitespace",
        ComparisonMode.Exact => "exact",
        ComparisonMode.Tokens => "tokens",
        _ => mode.ToString(),
    };
}
