namespace SoulBox;

/// <summary>Languages SoulBox runs, their aliases, and the template that holds each.</summary>
public static class Languages
{
    /// <summary>Python 3, in a persistent kernel (state kept between runs).</summary>
    public const string Python = "python";
    /// <summary>JavaScript on Node.js, in a persistent kernel.</summary>
    public const string JavaScript = "javascript";
    /// <summary>Go, compiled then run.</summary>
    public const string Go = "go";
    /// <summary>Java, compiled then run.</summary>
    public const string Java = "java";
    /// <summary>Bash; runs in every template.</summary>
    public const string Shell = "bash";

    /// <summary>Every canonical language name.</summary>
    public static IReadOnlyList<string> All { get; } = [Python, JavaScript, Go, Java, Shell];

    private static readonly Dictionary<string, string> Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["python"] = Python, ["python3"] = Python, ["py"] = Python, ["py3"] = Python,
        ["javascript"] = JavaScript, ["js"] = JavaScript, ["node"] = JavaScript, ["nodejs"] = JavaScript, ["node-js"] = JavaScript,
        ["go"] = Go, ["golang"] = Go,
        ["java"] = Java,
        ["bash"] = Shell, ["sh"] = Shell, ["shell"] = Shell,
    };

    /// <summary>The canonical name for a language or alias, or null when it is not supported.</summary>
    public static string? Normalize(string? language) =>
        language is not null && Aliases.TryGetValue(language.Trim(), out var canonical) ? canonical : null;

    /// <summary>Languages that run in a persistent kernel with state kept between runs.</summary>
    public static bool IsStateful(string canonical) => canonical is Python or JavaScript;

    /// <summary>The template whose image holds the language's toolchain (shell runs in any).</summary>
    public static string DefaultTemplate(string canonical) => canonical switch
    {
        Python => Templates.Python,
        JavaScript => Templates.Node,
        Go => Templates.Go,
        Java => Templates.Java,
        _ => Templates.Python,
    };
}
