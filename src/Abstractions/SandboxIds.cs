namespace SoulBox;

/// <summary>Sandbox ids name their node: "&lt;node&gt;.&lt;12 random base32 chars&gt;", so any silo can tell where
/// a sandbox lives without a lookup, and a sandbox can never be re-created on another node.</summary>
public static class SandboxIds
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";
    /// <summary>Longest sandbox id accepted.</summary>
    public const int MaxLength = 128;

    /// <summary>A new random id of a sandbox on <paramref name="node"/>.</summary>
    public static string New(string node)
    {
        Span<char> suffix = stackalloc char[12];
        for (var i = 0; i < suffix.Length; i++)
        {
            suffix[i] = Alphabet[Random.Shared.Next(Alphabet.Length)];
        }

        return $"{node}.{suffix}";
    }

    /// <summary>The node part of a sandbox id, or null when the id is malformed.</summary>
    public static string? NodeOf(string sandboxId)
    {
        var dot = sandboxId.LastIndexOf('.');
        return dot <= 0 || dot == sandboxId.Length - 1 || sandboxId.Length > MaxLength ? null : sandboxId[..dot];
    }

    /// <summary>Whether <paramref name="node"/> can name a node: 1-64 ASCII letters, digits, '-' or '_'.</summary>
    public static bool IsValidNodeName(string node) =>
        node.Length is > 0 and <= 64 && node.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
