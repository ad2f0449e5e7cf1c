namespace SoulBox;

/// <summary>Runtime images a sandbox can be created from (images/&lt;template&gt;/Dockerfile).</summary>
public static class Templates
{
    public const string Python = "python";
    public const string Node = "node";
    public const string Go = "go";
    public const string Java = "java";

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
