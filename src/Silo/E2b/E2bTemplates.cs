namespace SoulBox.Silo.E2b;

/// <summary>E2B template ids ↔ SoulBox templates. E2B's two public templates map to SoulBox's E2B-style ones (user
/// <c>user</c>, home /home/user); any other id names a SoulBox template directly (the node refuses unknown ones).</summary>
internal static class E2bTemplates
{
    public const string Base = "base";
    public const string CodeInterpreter = "code-interpreter-v1";
    public const string SoulBoxCodeInterpreter = "code-interpreter";

    /// <summary>The SoulBox template for an E2B template id (default <c>base</c>, as E2B's).</summary>
    public static string ToSoulBox(string? templateId) => templateId?.Trim() switch
    {
        null or "" => Base,
        CodeInterpreter => SoulBoxCodeInterpreter,
        var other => other.ToLowerInvariant(),
    };

    /// <summary>The E2B template id SoulBox shows for one of its templates.</summary>
    public static string ToE2b(string template) => template == SoulBoxCodeInterpreter ? CodeInterpreter : template;
}
