namespace SoulBox;

/// <summary>A rich output of a code run, as Jupyter shows it: <c>display(...)</c>, a matplotlib figure, or the last
/// expression's value in every representation it has.</summary>
[GenerateSerializer, Immutable, Alias("soulbox.RichResult")]
public sealed record RichResult
{
    /// <summary>True for the last expression's value (Jupyter's execute_result), false for display outputs.</summary>
    [Id(0)] public bool IsMainResult { get; init; }
    /// <summary>MIME type → content: text/plain, text/html, text/markdown, text/latex, image/svg+xml,
    /// application/json and application/javascript as text; image/png and image/jpeg base64-encoded.</summary>
    [Id(1)] public Dictionary<string, string> Data { get; init; } = [];
}
