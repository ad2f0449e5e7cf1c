using System.Text.RegularExpressions;

namespace SoulBox.Grains.Execution;

/// <summary>How a language's program is laid out, compiled and started inside a runtime image: the language's
/// <see cref="LanguageSpec"/> (<see cref="Languages.Table"/>) with its placeholders filled in for one run. A compiled
/// language declares its <see cref="CompileOutputs"/>: the paths (relative to the run directory) its compile step
/// writes and its run step needs, a file or a directory each. That is all the compile cache needs to capture a
/// build and put it back.</summary>
internal sealed partial record LanguagePlan(string Language, string[]? CompileArgv, string[] RunArgv, string[] CompileOutputs)
{
    /// <summary>Default entry file name per language, used when the caller names none.</summary>
    public static string DefaultFileName(string language, string? source = null) => language switch
    {
        Languages.Java => $"{JavaPublicClass(source) ?? "Main"}.java",
        _ => Languages.Find(language)?.FileName ?? "main.sh",
    };

    /// <summary>The plan for running <paramref name="entryFile"/> (with <paramref name="sourceFiles"/> beside it)
    /// from <paramref name="directory"/>; a compiled language compiles into that directory first.</summary>
    public static LanguagePlan For(string language, string directory, string entryFile, IReadOnlyList<string> sourceFiles, IReadOnlyList<string> args)
    {
        var spec = Languages.Find(language) ?? Languages.Spec(Languages.Shell);
        var extension = Path.GetExtension(entryFile);
        var sources = sourceFiles.Where(f => string.Equals(Path.GetExtension(f), extension, StringComparison.Ordinal)).Select(f => $"{directory}/{f}").ToArray();
        var stem = entryFile[..^extension.Length];
        var name = Path.GetFileName(stem);
        string[] Expand(string[] argv) => [.. argv.SelectMany(element => element switch
        {
            "{sources}" => sources,
            "{args}" => args,
            // One pass over the template: a value put in (a file name containing "{dir}") is never expanded again.
            _ => [Placeholder().Replace(element, m => m.Value switch
            {
                "{dir}" => directory,
                "{entry}" => $"{directory}/{entryFile}",
                "{name}" => name,
                "{stem}" => stem,
                _ => m.Value,
            })],
        })];

        return new(spec.Name, spec.CompileArgv is { } compile ? Expand(compile) : null, Expand(spec.RunArgv), spec.CompileOutputs);
    }

    /// <summary>The public top-level class a Java source declares, which javac wants as the file name.</summary>
    public static string? JavaPublicClass(string? source)
    {
        if (source is null)
        {
            return null;
        }

        var match = PublicClassPattern().Match(source);
        return match.Success ? match.Groups[1].Value : null;
    }

    [GeneratedRegex(@"public\s+(?:final\s+|abstract\s+)*(?:class|interface|enum|record)\s+([A-Za-z_$][A-Za-z0-9_$]*)")]
    private static partial Regex PublicClassPattern();

    [GeneratedRegex(@"\{(?:dir|entry|name|stem)\}")]
    private static partial Regex Placeholder();
}
