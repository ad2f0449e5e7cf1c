namespace SoulBox.Agent.Files;

/// <summary>A request path after lexical normalisation: the root it lies in and the part below it
/// ("" for the root itself, else segments joined by '/', none of them "." or "..").
/// <see cref="Requested"/> is what the caller sent and the only path errors name.</summary>
internal sealed record SandboxPath(SandboxRoot Root, string Relative, string Requested)
{
    public bool IsRoot => Relative.Length == 0;

    /// <summary>The path as reported back (root path + relative), symlinks not resolved.</summary>
    public string Display => IsRoot ? Root.Path : $"{Root.Path}/{Relative}";

    public string Name => IsRoot ? Path.GetFileName(Root.Path) : Relative[(Relative.LastIndexOf('/') + 1)..];

    /// <summary>The relative path of the parent ("" when the parent is the root); undefined for the root.</summary>
    public string ParentRelative => Relative.LastIndexOf('/') is var slash and >= 0 ? Relative[..slash] : "";
}
