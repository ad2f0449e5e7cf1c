using SoulBox.Bench.Measurement;
using SoulBox.Bench.Results;

namespace SoulBox.Bench.Scale;

/// <summary>Everything one <c>scale</c> run measured (written as scale-results.json; read back by <c>capacity</c>).</summary>
internal sealed class ScaleResults
{
    public const string Kind = "scale";

    public int SchemaVersion { get; set; } = 1;
    public string Scenario { get; set; } = Kind;
    public RunInfo Run { get; set; } = new();
    public ScaleSettings Settings { get; set; } = new();
    public List<ScalePoint> Points { get; set; } = [];
    /// <summary>req/s with 2 workers ÷ req/s with 1 (null when either was not measured).</summary>
    public double? Ratio2To1 { get; set; }
    /// <summary>Processes other than the sandboxes above the headroom limit in a window: the ratio is not clean then.</summary>
    public List<string> HeadroomFlags { get; set; } = [];
}

internal sealed class ScaleSettings
{
    public int[] Workers { get; set; } = [];
    /// <summary>CPU quota of each worker's parent cgroup (cores).</summary>
    public double WorkerCpus { get; set; }
    public int UsersPerWorker { get; set; }
    public int SandboxesPerWorker { get; set; }
    public double WarmupSeconds { get; set; }
    public double WindowSeconds { get; set; }
    public string Transport { get; set; } = "http";
    /// <summary>A process above this share of one core (mean over the window) is flagged.</summary>
    public double HeadroomPercentOfCore { get; set; }
    public double RatioBar { get; set; }
}

/// <summary>One worker count: load, resources, placement, and the cluster-wide costs (Redis, Orleans messages).</summary>
internal sealed record ScalePoint
{
    public int Workers { get; init; }
    public int Users { get; init; }
    public int Sandboxes { get; init; }
    public double Rps { get; init; }
    public LatencyStats Latency { get; init; } = LatencyStats.Empty;
    public ScaleResources Resources { get; init; } = new();
    /// <summary>Sandboxes per worker node (from the node part of each sandbox id).</summary>
    public Dictionary<string, int> Spread { get; init; } = [];
    /// <summary>Requests served per worker node in the window (closed-loop users are bound to sandboxes).</summary>
    public Dictionary<string, double> RpsByWorker { get; init; } = [];
    public RedisFigures Redis { get; init; } = new();
    /// <summary>Per request in the window: deltas of the silos' Orleans counters (gateway, and all workers together).</summary>
    public Dictionary<string, double> GatewayOrleansPerRequest { get; init; } = [];
    public Dictionary<string, double> WorkersOrleansPerRequest { get; init; } = [];

    public double Completed => Rps * Resources.WindowSeconds;

    /// <summary>CPU of SoulBox per request (ms of one core): gateway + worker silos + sandboxes + Docker engine.</summary>
    public double CpuMsPerRequest => PerRequest(Resources.GatewayCpuSeconds + Resources.WorkerSiloCpuSeconds + Resources.SandboxCpuSeconds + Resources.EngineCpuSeconds);
    public double GatewayCpuMsPerRequest => PerRequest(Resources.GatewayCpuSeconds);
    /// <summary>What a worker host spends per request: its silo, its sandboxes, the engine's shims.</summary>
    public double WorkerHostCpuMsPerRequest => PerRequest(Resources.WorkerSiloCpuSeconds + Resources.SandboxCpuSeconds + Resources.EngineCpuSeconds);
    public double SandboxCpuMsPerRequest => PerRequest(Resources.SandboxCpuSeconds);
    public double BenchCpuMsPerRequest => PerRequest(Resources.BenchCpuSeconds);

    private double PerRequest(double seconds) => Completed <= 0 ? 0 : 1000 * seconds / Completed;
}

internal sealed record RedisFigures
{
    public double CommandsPerSecond { get; init; }
    public long Keys { get; init; }
    /// <summary>Bytes Redis uses for the cluster's keys (MEMORY USAGE summed): the membership table and the cluster state.</summary>
    public long ClusterKeyBytes { get; init; }
    /// <summary>Bytes of the Orleans membership table alone (the key holding "/members/").</summary>
    public long MembershipBytes { get; init; }
    /// <summary>Every key and its bytes, for the record.</summary>
    public Dictionary<string, long> KeyBytes { get; init; } = [];
    public int ConnectedClients { get; init; }
    public double RedisCpuPercentOfCore { get; init; }
}

/// <summary>CPU over the window, each process as a share of one core (100 % = one core busy).</summary>
internal sealed record ScaleResources
{
    public double WindowSeconds { get; init; }
    public double MachineCpuPercent { get; init; }
    public double MachinePeakCpuPercent { get; init; }
    public List<ProcessCpu> Processes { get; init; } = [];
    public List<WorkerBudget> Budgets { get; init; } = [];
    public double GatewayCpuSeconds { get; init; }
    public double WorkerSiloCpuSeconds { get; init; }
    public double SandboxCpuSeconds { get; init; }
    public double EngineCpuSeconds { get; init; }
    public double BenchCpuSeconds { get; init; }
}

/// <summary>A process (or group: the Docker engine) over the window: mean and 1 s peak share of one core.</summary>
internal sealed record ProcessCpu(string Name, string Role, double CpuSeconds, double MeanPercentOfCore, double PeakPercentOfCore);

/// <summary>A worker's sandbox budget: its parent cgroup's quota, what its containers used, and how often the quota ran out.</summary>
internal sealed record WorkerBudget(string Worker, string Cgroup, double QuotaCpus, double CpuSeconds, double QuotaUsedPercent, double ThrottledPeriodsPercent);
