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

    /// <summary>Memory limit of a one-shot compile stage when the caller gives none: the compile runs with the larger of
    /// this and the run's limit. Default 512 MiB.</summary>
    public int DefaultCompileMemoryMb { get; set; } = 512;

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

    /// <summary>Idle one-shot executor containers kept per template and memory bucket after use (memory is rounded
    /// up to 128, 256, 512, ... MiB for executors). Default 4, as many as a batch's workers (MaxBatchParallelism): with
    /// fewer, every batch of a language started the missing containers again (IdleExecutorsPerNode still bounds them
    /// all).</summary>
    public int IdleExecutorsPerTemplate { get; set; } = 4;

    /// <summary>Idle one-shot executor containers kept on the node over all templates and memory buckets; past it
    /// the one idle longest is removed. Busy executors are bounded by MaxConcurrentExecutions. Default 8.</summary>
    public int IdleExecutorsPerNode { get; set; } = 8;

    /// <summary>Share of MaxConcurrentExecutions one tenant may hold at once even when it is the only one running
    /// (at least one slot); the rest stays free so another tenant's run does not wait behind long runs, which cannot
    /// be preempted. With several tenants active each holds at most max(1, slots / active tenants). Default 0.75
    /// (3 of 4 slots on 2 cores); 1 lets a lone tenant take every slot.</summary>
    public double TenantExecutionShare { get; set; } = 0.75;

    /// <summary>One-shot executions one tenant may have waiting for a slot on a node; more answer 429. Default 32.</summary>
    public int MaxQueuedExecutionsPerTenant { get; set; } = 32;

    /// <summary>Longest wait of a one-shot execution for a slot; then 429 (the tenant holds its share) or 503 (the
    /// node is full), with Retry-After. Default 10 000 ms.</summary>
    public int ExecutionQueueTimeoutMs { get; set; } = 10_000;

    /// <summary>Time a one-shot execution may take beyond its compile and run timeouts (writing files, the agent's
    /// kill and report) before the node gives up on the agent, removes the container and answers a timeout.
    /// Default 5 000 ms.</summary>
    public int ExecutionGraceMs { get; set; } = 5_000;

    /// <summary>Time an executor's reset may take after a run; a slower or failed reset removes the container.
    /// Default 5 000 ms.</summary>
    public int ExecutorResetTimeoutMs { get; set; } = 5_000;

    /// <summary>Largest stdin of a one-shot execution, in UTF-8 bytes; more answers 413. It travels to the agent in
    /// one frame with the arguments, so this plus 6 × MaxArgsBytes must leave 1 MiB of the agent's 8 MiB frame.
    /// The gateway's SoulBox:Http:MaxRequestBodyBytes (default 16 MiB) caps the whole JSON body first. Default 4 MiB.</summary>
    public int MaxStdinBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Largest total of a one-shot execution's arguments (UTF-8 bytes plus one per argument); more answers
    /// 413. Default 128 KiB (Linux refuses a single argument over 128 KiB anyway).</summary>
    public int MaxArgsBytes { get; set; } = 128 * 1024;

    /// <summary>Most source files in one one-shot execution. Default 64.</summary>
    public int MaxExecutionFiles { get; set; } = 64;

    /// <summary>Largest total size of a one-shot execution's source files (decoded bytes); more answers 413.
    /// Default 4 MiB.</summary>
    public long MaxExecutionFilesBytes { get; set; } = 4 * 1024 * 1024;
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

    /// <summary>Most test cases in one batch (POST /v1/execute with cases; ExecuteBatchAsync). Default 256.</summary>
    public int MaxBatchCases { get; set; } = 256;

    /// <summary>Most cases of one batch running at once when the caller asks for no fewer, each in its own executor
    /// and slot; the extra slots are taken only while free and within the tenant's share, so a batch never waits
    /// for parallelism. Default 4.</summary>
    public int MaxBatchParallelism { get; set; } = 4;

    /// <summary>Longest a batch may take in the worst case, run one case after another: its compile timeout plus
    /// every case's run timeout; a batch that could take longer answers 400 (lower the cases' runTimeoutMs). Keeps a
    /// batch inside the cluster's 11-minute call timeout. Default 600 000 ms.</summary>
    public int MaxBatchTimeMs { get; set; } = 600_000;

    /// <summary>Largest stdin of one case of a batch, in UTF-8 bytes; more answers 413. Unlike a single run's stdin
    /// (MaxStdinBytes, one agent frame) it is streamed to the agent in 1 MiB chunks, each sent once the one before
    /// is in the program's pipe, so it may pass the agent's 8 MiB frame. Default 16 MiB.</summary>
    public int MaxCaseStdinBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Stdin plus expected output of all of a batch's cases together, in UTF-8 bytes; more answers 413
    /// (each case's stdin is also held to MaxCaseStdinBytes). Default 64 MiB (over HTTP the body limit comes first).</summary>
    public long MaxBatchInputBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Stdout and stderr returned per case of a batch, each, in UTF-8 bytes: the comparison uses all the
    /// output up to the case's cap, the result keeps this much. Default 64 KiB.</summary>
    public int BatchResultOutputBytes { get; set; } = 64 * 1024;

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
        if (IdleExecutorsPerTemplate < 0) yield return $"{SectionName}:IdleExecutorsPerTemplate must not be negative.";
        if (IdleExecutorsPerNode < 0) yield return $"{SectionName}:IdleExecutorsPerNode must not be negative.";
        if (!(TenantExecutionShare > 0 && TenantExecutionShare <= 1)) yield return $"{SectionName}:TenantExecutionShare must be above 0 and at most 1.";
        if (MaxQueuedExecutionsPerTenant < 0) yield return $"{SectionName}:MaxQueuedExecutionsPerTenant must not be negative.";
        if (ExecutionQueueTimeoutMs < 0) yield return $"{SectionName}:ExecutionQueueTimeoutMs must not be negative.";
        if (ExecutionGraceMs < 1000) yield return $"{SectionName}:ExecutionGraceMs must be at least 1000.";
        if (ExecutorResetTimeoutMs < 100) yield return $"{SectionName}:ExecutorResetTimeoutMs must be at least 100.";
        if (MaxStdinBytes < 0 || MaxArgsBytes < 0 || MaxStdinBytes + 6L * MaxArgsBytes + 1024 * 1024 > Agent.Protocol.AgentProtocol.MaxFrameBytes)
        {
            yield return $"{SectionName}:MaxStdinBytes + 6 × MaxArgsBytes must leave 1 MiB of the agent's {Agent.Protocol.AgentProtocol.MaxFrameBytes}-byte frame.";
        }

        if (MaxExecutionFiles < 1) yield return $"{SectionName}:MaxExecutionFiles must be at least 1.";
        if (MaxExecutionFilesBytes < MaxCodeBytes) yield return $"{SectionName}:MaxExecutionFilesBytes must be at least MaxCodeBytes.";
        if (MaxRequestsInFlight < 0) yield return $"{SectionName}:MaxRequestsInFlight must not be negative (0 = no limit).";
        if (MaxDownloadBytes <= 0) yield return $"{SectionName}:MaxDownloadBytes must be positive.";
        if (MaxRetainedOutputBytesPerTenant < MaxOutputBytes) yield return $"{SectionName}:MaxRetainedOutputBytesPerTenant must be at least MaxOutputBytes.";
        if (MaxBatchCases < 1) yield return $"{SectionName}:MaxBatchCases must be at least 1.";
        if (MaxBatchParallelism < 1) yield return $"{SectionName}:MaxBatchParallelism must be at least 1.";
        if (MaxBatchTimeMs < 1000 || MaxBatchTimeMs > SoulBoxCluster.CallTimeout.TotalMilliseconds - 30_000) yield return $"{SectionName}:MaxBatchTimeMs must be at least 1000 and leave 30 s of the {SoulBoxCluster.CallTimeout.TotalSeconds:0}-second call timeout.";
        if (MaxCaseStdinBytes < 1) yield return $"{SectionName}:MaxCaseStdinBytes must be positive.";
        if (MaxBatchInputBytes < MaxCaseStdinBytes) yield return $"{SectionName}:MaxBatchInputBytes must be at least MaxCaseStdinBytes.";
        if (BatchResultOutputBytes < 0) yield return $"{SectionName}:BatchResultOutputBytes must not be negative.";
        if (MaxRetainedOutputBytesPerNode < MaxRetainedOutputBytesPerTenant) yield return $"{SectionName}:MaxRetainedOutputBytesPerNode must be at least MaxRetainedOutputBytesPerTenant.";
    }
}
