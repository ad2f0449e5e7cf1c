using System.Text.RegularExpressions;

namespace SoulBox.Grains.Execution;

/// <summary>How a language's program is laid out, compiled and started inside a runtime image. A compiled language
/// declares its <see cref="CompileOutputs"/>: the paths (relative to the run directory) its compile step writes and
/// its run step needs, a file or a directory each. That is all the compile cache needs to capture a build and put
/// it back, so another compiled language (C, C++, Rust, ...) plugs in with its argv and its outputs.</summary>
internal sealed partial record LanguagePlan(string Language, string[]? CompileArgv, string[] RunArgv, string[] CompileOutputs)
{
    /// <summary>The Go binary, written by soulbox-go-build.</summary>
    public const string GoBinary = ".soulbox-main";

    /// <summary>The directory javac writes class files into (packages as subdirectories).</summary>
    public const string JavaClasses = ".soulbox-classes";

    // javac is a short-lived JVM: the image's class-data archive (images/java) and C1 only cut its start about
    // 3x here. The program itself keeps the full JIT (long runs need it) but skips the perf-data file.
    private static readonly string[] JavacFlags =
        ["-J-XX:SharedArchiveFile=/opt/soulbox-java/launcher.jsa", "-J-Xshare:auto", "-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-J-XX:-UsePerfData"];

    private static readonly string[] JavaFlags = ["-XX:+UseSerialGC", "-XX:-UsePerfData"];

    /// <summary>Default entry file name per language, used when the caller names none.</summary>
    public static string DefaultFileName(string language, string? source = null) => language switch
    {
        Languages.Python => "main.py",
        Languages.JavaScript => "main.js",
        Languages.Go => "main.go",
        Languages.Java => $"{JavaPublicClass(source) ?? "Main"}.java",
        _ => "main.sh",
    };

    /// <summary>The plan for running <paramref name="entryFile"/> (with <paramref name="sourceFiles"/> beside it)
    /// from <paramref name="directory"/>; Go and Java compile into that directory first.</summary>
    public static LanguagePlan For(string language, string directory, string entryFile, IReadOnlyList<string> sourceFiles, IReadOnlyList<string> args)
    {
        var entry = $"{directory}/{entryFile}";
        return language switch
        {
            Languages.Python => new(language, null, ["python3", entry, .. args], []),
            Languages.JavaScript => new(language, null, ["node", entry, .. args], []),
            // soulbox-go-build (images/go) seeds the build cache from the image so std is not recompiled.
            Languages.Go => new(language, ["soulbox-go-build", entry, $"{directory}/{GoBinary}"], [$"{directory}/{GoBinary}", .. args], [GoBinary]),
            Languages.Java => new(
                language,
                ["javac", .. JavacFlags, "-d", $"{directory}/{JavaClasses}", "-encoding", "UTF-8", .. sourceFiles.Where(f => f.EndsWith(".java", StringComparison.Ordinal)).Select(f => $"{directory}/{f}")],
                ["java", .. JavaFlags, "-cp", $"{directory}/{JavaClasses}", Path.GetFileNameWithoutExtension(entryFile), .. args],
                [JavaClasses]),
            _ => new(language, null, ["bash", entry, .. args], []),
        };
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
}
