namespace SoulBox.Grains.Execution;

/// <summary>Input files sent with a batch (configuration section "SoulBox:BatchInputs"; see
/// <see cref="BatchInputStore"/>): where a worker stages them and how much it takes.</summary>
public sealed class BatchInputOptions
{
    public const string SectionName = "SoulBox:BatchInputs";

    /// <summary>Host directory of the staged files: readable by the silo only (0700), never mounted into a container
    /// (a case's input reaches it through the agent, in chunks). Emptied when the node starts. Default
    /// "soulbox-batch-inputs/&lt;node name&gt;" under the system's temporary directory (a disk, not the run
    /// directory's tmpfs: staged inputs would otherwise take memory).</summary>
    public string? Directory { get; set; }

    /// <summary>Largest input file. Default 64 MiB.</summary>
    public long MaxFileBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Most files of one batch (a batch has at most SoulBox:Sandbox:MaxBatchCases cases, each naming two at
    /// most). Default 1024.</summary>
    public int MaxFilesPerSet { get; set; } = 1024;

    /// <summary>Most bytes of the files of one batch. Default 512 MiB (100 cases with 1 MiB of input and of expected
    /// output each fit with room to spare).</summary>
    public long MaxSetBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>Most bytes staged on the node at once, all batches together; past it an upload is refused with 503
    /// and Retry-After. Default 2 GiB.</summary>
    public long MaxBytes { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>Most bytes one tenant may stage on the node at once, all its sets together; past it a 429. Default
    /// 512 MiB: a tenant cannot fill the node's staging space and lock other tenants' batches out.</summary>
    public long MaxBytesPerTenant { get; set; } = 512L * 1024 * 1024;

    /// <summary>Most input sets one tenant may have open on the node at once (uploading or running); more is a 429.
    /// Default 4.</summary>
    public int MaxSetsPerTenant { get; set; } = 4;

    /// <summary>A set whose batch has not started this long after its last upload is removed. Default 120.</summary>
    public int IdleSeconds { get; set; } = 120;

    public IEnumerable<string> Validate()
    {
        if (MaxFileBytes < 1) yield return $"{SectionName}:MaxFileBytes must be positive.";
        if (MaxSetBytes < MaxFileBytes) yield return $"{SectionName}:MaxSetBytes must be at least MaxFileBytes ({MaxFileBytes}).";
        if (MaxBytes < MaxSetBytes) yield return $"{SectionName}:MaxBytes must be at least MaxSetBytes ({MaxSetBytes}).";
        if (MaxBytesPerTenant < MaxSetBytes || MaxBytesPerTenant > MaxBytes) yield return $"{SectionName}:MaxBytesPerTenant must be between MaxSetBytes ({MaxSetBytes}) and MaxBytes ({MaxBytes}).";
        if (MaxFilesPerSet < 1) yield return $"{SectionName}:MaxFilesPerSet must be at least 1.";
        if (MaxSetsPerTenant < 1) yield return $"{SectionName}:MaxSetsPerTenant must be at least 1.";
        if (IdleSeconds is < 5 or > 3600) yield return $"{SectionName}:IdleSeconds must be between 5 and 3600.";
        if (Directory is { } directory && (!Path.IsPathFullyQualified(directory) || directory.TrimEnd('/').Length == 0))
        {
            yield return $"{SectionName}:Directory '{directory}' must be an absolute path other than '/'.";
        }
    }
}
