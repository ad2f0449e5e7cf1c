namespace SoulBox.Grains.Compilation;

/// <summary>The node's cache of compile outputs for one-shot runs of compiled languages (configuration section
/// "SoulBox:CompileCache"; see <see cref="CompileCache"/>).</summary>
public sealed class CompileCacheOptions
{
    public const string SectionName = "SoulBox:CompileCache";

    /// <summary>Keep the outputs of successful one-shot compiles so that the same program, compiled again on this
    /// node, is not. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Most bytes of compile outputs kept on the node; past it the entry used least recently goes.
    /// Default 256 MiB.</summary>
    public long MaxBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Largest single entry kept (all output files of one compile); a larger build runs but is not kept.
    /// Default 64 MiB.</summary>
    public long MaxEntryBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Most files and directories in one entry (a Java build writes one class file per class); a build with
    /// more runs but is not kept. Default 4096.</summary>
    public int MaxEntryFiles { get; set; } = 4096;

    /// <summary>Host directory of the entries: readable by the silo only (0700) and never mounted into a container.
    /// Emptied when the node starts and removed when it stops. On a tmpfs (as /run usually is) the entries use
    /// memory. Default: "compile-cache/&lt;node name&gt;" under SoulBox:Docker:RunDirectory.</summary>
    public string? Directory { get; set; }

    public IEnumerable<string> Validate()
    {
        if (MaxBytes < 1024 * 1024) yield return $"{SectionName}:MaxBytes must be at least 1 MiB (1048576).";
        if (MaxEntryBytes < 1 || MaxEntryBytes > MaxBytes) yield return $"{SectionName}:MaxEntryBytes must be between 1 and MaxBytes ({MaxBytes}).";
        if (MaxEntryFiles is < 1 or > 1_000_000) yield return $"{SectionName}:MaxEntryFiles must be between 1 and 1000000.";
        if (Directory is { } directory && (!Path.IsPathFullyQualified(directory) || directory.TrimEnd('/').Length == 0))
        {
            yield return $"{SectionName}:Directory '{directory}' must be an absolute path other than '/'.";
        }
    }
}
