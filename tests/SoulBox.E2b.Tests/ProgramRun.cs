using System.Text.RegularExpressions;

namespace SoulBox.E2b.Tests;

/// <summary>What one run of a JavaScript program printed: its exit code, stdout, stderr, and the outcome of each
/// named section (Programs/checks.mjs prints "SECTION &lt;name&gt; ok" or "SECTION &lt;name&gt; FAIL &lt;why&gt;").</summary>
public sealed partial class ProgramRun(string program, string sdk, int exitCode, string stdout, string stderr)
{
    public string Program { get; } = program;
    public string Sdk { get; } = sdk;
    public int ExitCode { get; } = exitCode;
    public string Stdout { get; } = stdout;
    public string Stderr { get; } = stderr;

    /// <summary>Fails the calling test unless the program reported <paramref name="section"/> as passed; the
    /// message carries the section's failure and the program's whole output.</summary>
    public void AssertSection(string section)
    {
        var match = SectionLine().Matches(Stdout).FirstOrDefault(m => m.Groups["name"].Value == section);
        if (match is null)
        {
            Assert.Fail($"{Program} ({Sdk} SDK) never reported section '{section}' (exit code {ExitCode}; a FATAL line means it stopped before it).\n{Output()}");
        }

        if (match.Groups["outcome"].Value != "ok")
        {
            Assert.Fail($"{Program} ({Sdk} SDK), section '{section}' failed: {match.Groups["rest"].Value}\n{Output()}");
        }
    }

    /// <summary>Fails the calling test unless the program exited with code 0.</summary>
    public void AssertExitedZero()
    {
        if (ExitCode != 0)
        {
            Assert.Fail($"{Program} ({Sdk} SDK) exited with code {ExitCode}.\n{Output()}");
        }
    }

    public string Output() => $"--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";

    [GeneratedRegex(@"^SECTION (?<name>\S+) (?<outcome>ok|FAIL)(?<rest>.*(\n    .*)*)", RegexOptions.Multiline)]
    private static partial Regex SectionLine();
}
