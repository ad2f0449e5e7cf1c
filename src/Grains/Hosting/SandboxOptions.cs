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

    /// <summary>Requests one sandbox runs at once (code runs, commands, file operations, downloads); one more is
    /// refused with <see cref="TooManyRequestsException"/> (HTTP 429). Bounds what one sandbox can make this node hold
    /// (each request buffers at most one credit window of output). Default 32; 0 = no limit.</summary>
    public int MaxRequestsInFlight { get; set; } = 32;

    /// <summary>Largest file a download may return: checked against the file's size before the first byte and
    /// counted while streaming (a FIFO or a file that grows has no honest size). Over it: error too_large (HTTP 413).
    /// Default 1 GiB.</summary>
    public long MaxDownloadBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>Output bytes the runs of one tenant's sandboxes may hold on this node at once for their results
    /// (what a run printed is kept until it ends, up to its per-stream cap). Past it, further output still streams
    /// to the caller but is left out of the result, which is marked truncated; a finished result counts until the
    /// gateway has written it. The node holds about five times this in memory (UTF-16 text, the result string, its
    /// JSON). Default 32 MiB: both streams of one run at the largest cap.</summary>
    public long MaxRetainedOutputBytesPerTenant { get; set; } = 32L * 1024 * 1024;

    /// <summary>The same bound for all tenants together on this node. Default 256 MiB.</summary>
    public long MaxRetainedOutputBytesPerNode { get; set; } = 256L * 1024 * 1024;

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
        if (MaxRequestsInFlight < 0) yield return $"{SectionName}:MaxRequestsInFlight must not be negative (0 = no limit).";
        if (MaxDownloadBytes <= 0) yield return $"{SectionName}:MaxDownloadBytes must be positive.";
        if (MaxRetainedOutputBytesPerTenant < MaxOutputBytes) yield return $"{SectionName}:MaxRetainedOutputBytesPerTenant must be at least MaxOutputBytes.";
        if (MaxRetainedOutputBytesPerNode < MaxRetainedOutputBytesPerTenant) yield return $"{SectionName}:MaxRetainedOutputBytesPerNode must be at least MaxRetainedOutputBytesPerTenant.";
    }
}
