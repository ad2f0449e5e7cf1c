namespace SoulBox.Grains.Hosting;

/// <summary>Sandbox defaults and bounds of a worker node (configuration section "SoulBox:Sandbox").</summary>
public sealed class SandboxOptions
{
    public const string SectionName = "SoulBox:Sandbox";

    /// <summary>Lifetime of a sandbox when the caller gives none. Default 300 s.</summary>
    public int DefaultTimeoutSeconds { get; set; } = 300;

    /// <summary>Longest lifetime a caller may ask for (create or extend). Default 3600 s.</summary>
    public int MaxTimeoutSeconds { get; set; } = 3600;

    /// <summary>Memory limit of a sandbox container when the caller gives none. Default 512 MiB.</summary>
    public int DefaultMemoryMb { get; set; } = 512;

    /// <summary>Largest memory limit a caller may ask for. Default 4096 MiB.</summary>
    public int MaxMemoryMb { get; set; } = 4096;

    /// <summary>CPU cores of a sandbox when the caller gives none. Default 1.</summary>
    public double DefaultCpu { get; set; } = 1;

    /// <summary>Most CPU cores a caller may ask for. Default 4.</summary>
    public double MaxCpu { get; set; } = 4;

    /// <summary>Most processes/threads in one container. Default 256.</summary>
    public int PidsLimit { get; set; } = 256;

    /// <summary>Size of the writable /home/sandbox tmpfs. Default 512 MiB.</summary>
    public int WorkDirSizeMb { get; set; } = 512;

    /// <summary>Size of the writable /tmp tmpfs. Default 512 MiB.</summary>
    public int TmpSizeMb { get; set; } = 512;

    /// <summary>Default wall-clock limit of one code run or command. Default 30 000 ms.</summary>
    public int DefaultRunTimeoutMs { get; set; } = 30_000;

    /// <summary>Longest wall-clock limit of one run. Default 600 000 ms.</summary>
    public int MaxRunTimeoutMs { get; set; } = 600_000;

    /// <summary>Default wall-clock limit of a compile stage (Go, Java). Default 60 000 ms.</summary>
    public int DefaultCompileTimeoutMs { get; set; } = 60_000;

    /// <summary>Default per-stream output cap. Default 1 MiB.</summary>
    public long DefaultMaxOutputBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest per-stream output cap a caller may ask for. Default 16 MiB.</summary>
    public long MaxOutputBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Largest source code accepted in one run. Default 1 MiB.</summary>
    public int MaxCodeBytes { get; set; } = 1024 * 1024;

    /// <summary>Most sandboxes alive on this node at once. Default 100.</summary>
    public int MaxSandboxesPerNode { get; set; } = 100;

    /// <summary>Most one-shot executions running at once on this node. Default 2 × cores.</summary>
    public int MaxConcurrentExecutions { get; set; } = 2 * Environment.ProcessorCount;

    /// <summary>Idle one-shot executor containers kept per template after use. Default 2.</summary>
    public int IdleExecutorsPerTemplate { get; set; } = 2;

    /// <summary>Metadata entries per sandbox, and the length of each key and value.</summary>
    public int MaxMetadataEntries { get; set; } = 32;

    public IEnumerable<string> Validate()
    {
        if (DefaultTimeoutSeconds <= 0) yield return $"{SectionName}:DefaultTimeoutSeconds must be positive.";
        if (MaxTimeoutSeconds < DefaultTimeoutSeconds) yield return $"{SectionName}:MaxTimeoutSeconds must be at least DefaultTimeoutSeconds.";
        if (DefaultMemoryMb < 32 || DefaultMemoryMb > MaxMemoryMb) yield return $"{SectionName}:DefaultMemoryMb must be between 32 and MaxMemoryMb.";
        if (DefaultCpu <= 0 || DefaultCpu > MaxCpu) yield return $"{SectionName}:DefaultCpu must be positive and at most MaxCpu.";
        if (PidsLimit < 16) yield return $"{SectionName}:PidsLimit must be at least 16.";
        if (DefaultRunTimeoutMs <= 0 || DefaultRunTimeoutMs > MaxRunTimeoutMs) yield return $"{SectionName}:DefaultRunTimeoutMs must be positive and at most MaxRunTimeoutMs.";
        if (DefaultMaxOutputBytes <= 0 || DefaultMaxOutputBytes > MaxOutputBytes) yield return $"{SectionName}:DefaultMaxOutputBytes must be positive and at most MaxOutputBytes.";
        if (MaxSandboxesPerNode <= 0) yield return $"{SectionName}:MaxSandboxesPerNode must be positive.";
        if (MaxConcurrentExecutions <= 0) yield return $"{SectionName}:MaxConcurrentExecutions must be positive.";
    }
}
