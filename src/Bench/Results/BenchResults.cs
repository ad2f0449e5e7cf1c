using SoulBox.Bench.Measurement;

namespace SoulBox.Bench.Results;

/// <summary>Everything one bench run measured (written as results.json; read back by --baseline and capacity).
/// Systems: "soulbox-client", "soulbox-http", "docker-run" (docker run --rm per request), "docker-exec",
/// "jupyter-kernel" (jupyter_client → ipykernel).</summary>
internal sealed class BenchResults
{
    public int SchemaVersion { get; set; } = 1;
    public RunInfo Run { get; set; } = new();
    /// <summary>Latency series of the single-request scenarios (cold start, warm execution, languages...).</summary>
    public List<SeriesResult> Series { get; set; } = [];
    public List<ThroughputPoint> Throughput { get; set; } = [];
    public List<MemoryPoint> Memory { get; set; } = [];
    public List<CpuPoint> Cpu { get; set; } = [];
    public List<LanguageResult> Languages { get; set; } = [];
    /// <summary>Per language: a batch of test cases against the same cases as one-shot calls one after another.</summary>
    public List<BatchComparison> Batches { get; set; } = [];
    public List<TargetCheck> Targets { get; set; } = [];
    public List<GoalCheck> Goals { get; set; } = [];
    public List<StageTiming> Stages { get; set; } = [];
    public List<SkipNote> Skipped { get; set; } = [];
    /// <summary>The report's opening lines: per-request CPU at the top level, SoulBox beside a Jupyter kernel.</summary>
    public List<string> Summary { get; set; } = [];
    /// <summary>Footprint with no load: the node alone (<see cref="IdleNodeLabel"/>), and one idle warm sandbox.</summary>
    public ResourceSummary? IdleNode { get; set; }
    /// <summary>Warm containers per template when <see cref="IdleNode"/> was sampled (empty: the node's /metrics could not be read).</summary>
    public Dictionary<string, int> IdleNodeWarmContainers { get; set; } = [];
    /// <summary>Whether every template had its warm container when <see cref="IdleNode"/> was sampled (false: the wait for it timed out).</summary>
    public bool IdleNodePoolFilled { get; set; }
    public double IdleSandboxMb { get; set; }
    /// <summary>One warm Jupyter kernel baseline container (kernel + client) after its runs; 0 when not measured.</summary>
    public double IdleJupyterKernelMb { get; set; }
    /// <summary>Flat metric name → value, the form --baseline compares ("…p95_ms" latency, "…_mb" memory).</summary>
    public SortedDictionary<string, double> Metrics { get; set; } = [];

    /// <summary>What <see cref="IdleNode"/> is, in the words of the issue that set its bar (the memory row and the goal say it).</summary>
    public const string IdleNodeLabel = "idle single-node silo RSS after start-up, pool filled";
}

internal sealed class RunInfo
{
    public DateTimeOffset StartedAt { get; set; }
    public double DurationSeconds { get; set; }
    public string Mode { get; set; } = "full";
    public string Command { get; set; } = "";
    public int Cores { get; set; }
    public double MemoryMb { get; set; }
    public string Os { get; set; } = "";
    public string Runtime { get; set; } = "";
    public string Docker { get; set; } = "";
    /// <summary>How the node was reached: child process started by the bench, or an existing one.</summary>
    public string Target { get; set; } = "";
    public string BuildConfiguration { get; set; } = "";
    /// <summary>Machine CPU busy (all cores = 100 %) over 2 s before the bench started anything, and the load average.</summary>
    public double MachineBusyBeforePercent { get; set; }
    public string LoadAverageBefore { get; set; } = "";
    /// <summary>Whether the build under test has a warm sandbox pool (a pool manager grain contract).</summary>
    public bool PoolAvailable { get; set; }
    public List<string> Transports { get; set; } = [];
    public List<string> Notes { get; set; } = [];
    public Dictionary<string, string> Options { get; set; } = [];
}

internal sealed record SeriesResult(string Scenario, string System, string Label, LatencyStats Latency);

internal sealed record ThroughputPoint(string System, int Users, int Sandboxes, double Rps, LatencyStats Latency, ResourceSummary? Resources);

/// <summary>A memory row: the node's RSS plus the sandboxes' cgroup memory at a load level.</summary>
internal sealed record MemoryPoint(string Label, double? PublishedMb, double SiloRssMb, double SandboxesMb, int Containers, double? DockerExecMb)
{
    public double TotalMb => SiloRssMb + SandboxesMb;
}

/// <summary>CPU per completed request in a load window, in ms of one core: the silo, the sandboxes' (or kernel
/// containers') cgroups, the Docker engine and the load generator (the bench itself, not counted as the system's).</summary>
internal sealed record CpuPerRequest(double SiloMs, double SandboxMs, double EngineMs, double LoadGeneratorMs)
{
    /// <summary>What the system under test spent: silo + sandboxes (a kernel baseline has no silo).</summary>
    public double SystemMs => SiloMs + SandboxMs;
}

internal sealed record CpuPoint(string System, double OfferedRps, double AchievedRps, LatencyStats Latency, ResourceSummary Resources);

internal sealed record LanguageResult(string Language, string Template, bool Available, string? Reason,
    LatencyStats? Startup, LatencyStats? Execution, double? MemoryMb, LatencyStats? DockerRun, LatencyStats? DockerExec, double? DockerExecMemoryMb,
    OneShotCompileResult? OneShot = null);

/// <summary>One-shot runs (execute) of a compiled language's hello world: a new source every time (a compile cache
/// miss: compile + run) and the same source again (a hit: the build comes from the node's compile cache), with the
/// compile and run stages' wall times as the node reported them.</summary>
internal sealed record OneShotCompileResult(LatencyStats Miss, LatencyStats Hit, LatencyStats MissCompileStage, LatencyStats HitRunStage, int HitsReported);

/// <summary>One language's batch of <paramref name="Cases"/> test cases (one request, the node's parallelism) against
/// the same cases as that many one-shot calls one after another, over <paramref name="Rounds"/> rounds after a warm-up
/// round (the compile cache holds the build, the executors are started). <paramref name="Batch"/> and
/// <paramref name="OneShots"/> are the client-side wall times of the whole batch and of all the calls together; a
/// round whose verdicts (or outputs) were not all accepted is an error, not a sample. <paramref name="BatchOnNode"/> is
/// the node's own time of the batch (summary.elapsedMs); <paramref name="Parallelism"/> the most cases that ran at once
/// in any round; <paramref name="CompileCachedRounds"/> the measured batches whose compile came from the cache.
/// <paramref name="BatchContainerStarts"/> and <paramref name="CallsContainerStarts"/>: containers of the template the
/// node started while a measured batch (or call sequence) ran, per round (from its /metrics; null when unreadable) —
/// a batch that runs cases at once needs that many executors, and a container start costs more than a whole case.</summary>
internal sealed record BatchComparison(string Language, string Template, bool Available, string? Reason, int Cases, int Rounds,
    LatencyStats? Batch, LatencyStats? OneShots, LatencyStats? BatchOnNode, int Parallelism, int CompileCachedRounds, string? FirstFailure,
    double? BatchContainerStarts = null, double? CallsContainerStarts = null)
{
    /// <summary>The one-shot calls' median ÷ the batch's (&gt; 1: the batch is faster), or null without both.</summary>
    public double? Speedup => Batch is { Count: > 0, P50Ms: > 0 } && OneShots is { Count: > 0 } ? OneShots.P50Ms / Batch.P50Ms : null;

    public static BatchComparison NotAvailable(string language, string template, string reason) =>
        new(language, template, false, reason, 0, 0, null, null, null, 0, 0, null);
}

internal sealed record TargetCheck(string Name, string Target, double? Value, string Unit, bool? Met, string Source);

internal sealed record GoalCheck(string Goal, string Measured, bool? Met, string Detail);

/// <summary>Where the time of one request goes (client round trip vs what the agent measured inside).</summary>
internal sealed record StageTiming(string Scenario, string Stage, double MedianMs, double P95Ms);

internal sealed record SkipNote(string Scenario, string Reason);
