namespace SoulBox;

/// <summary>Runtime images a sandbox can be created from (images/&lt;template&gt;/Dockerfile).</summary>
public static class Templates
{
    /// <summary>Python 3 (images/python).</summary>
    public const string Python = "python";
    /// <summary>Node.js (images/node).</summary>
    public const string Node = "node";
    /// <summary>Go (images/go).</summary>
    public const string Go = "go";
    /// <summary>Java (images/java).</summary>
    public const string Java = "java";

    /// <summary>Every template SoulBox builds.</summary>
    public static IReadOnlyList<string> All { get; } = [Python, Node, Go, Java];

    /// <summary>The language a template's kernel runs by default.</summary>
    public static string DefaultLanguage(string template) => template switch
    {
        Node => Languages.JavaScript,
        Go => Languages.Go,
        Java => Languages.Java,
        _ => Languages.Python,
    };

    /// <summary>Whether code in <paramref name="language"/> can run in a sandbox of <paramref name="template"/>.</summary>
    public static bool Supports(string template, string language) =>
        language == Languages.Shell || DefaultLanguage(template) == language;
}
