using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SoulBox.Grains.Telemetry;

/// <summary>SoulBox's own meter ("SoulBox"): what operators watch in Prometheus/Grafana.</summary>
public sealed class SoulBoxMetrics
{
    public const string MeterName = "SoulBox";

    private readonly Counter<long> _executions;
    private readonly Histogram<double> _executionDuration;
    private readonly Histogram<double> _createDuration;
    private readonly UpDownCounter<long> _activeSandboxes;
    private readonly Counter<long> _poolHits;
    private readonly Counter<long> _poolMisses;
    private readonly Histogram<double> _containerStart;
    private readonly Counter<long> _sandboxesLost;
    private readonly Counter<long> _executionsRefused;
    private readonly Counter<long> _containersReaped;
    private readonly Counter<long> _requestsRejected;
    private readonly Counter<long> _membershipChanges;
    private readonly Counter<long> _compileCacheHits;
    private readonly Counter<long> _compileCacheMisses;
    private readonly Counter<long> _compileCacheEvictions;

    public SoulBoxMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _executions = meter.CreateCounter<long>("soulbox.executions", "{execution}", "Code runs, commands and one-shot executions, by language and outcome.");
        _executionDuration = meter.CreateHistogram<double>("soulbox.execution.duration", "ms", "Wall time of a run as seen by the grain.");
        _createDuration = meter.CreateHistogram<double>("soulbox.sandbox.create.duration", "ms", "Time to create a sandbox (claim or start its container and reach its agent).");
        _activeSandboxes = meter.CreateUpDownCounter<long>("soulbox.sandboxes.active", "{sandbox}", "Sandboxes alive on this node.");
        _poolHits = meter.CreateCounter<long>("soulbox.pool.hits", "{claim}", "Sandbox creations served by a warm container.");
        _poolMisses = meter.CreateCounter<long>("soulbox.pool.misses", "{claim}", "Sandbox creations that had to start a container.");
        _containerStart = meter.CreateHistogram<double>("soulbox.container.start.duration", "ms", "Docker create+start of a container.");
        _sandboxesLost = meter.CreateCounter<long>("soulbox.sandboxes.lost", "{sandbox}", "Sandboxes whose container died under them.");
        _executionsRefused = meter.CreateCounter<long>("soulbox.executions.refused", "{execution}",
            "One-shot executions not run or not waited for to the end, by reason: tenant_share (429), node_busy (503), too_large (413), deadline (agent silent past timeout + grace).");
        _containersReaped = meter.CreateCounter<long>("soulbox.containers.reaped", "{container}",
            "Containers removed without their owner asking, by the node that removed them and reason: dead_node (its node is dead in the membership), orphan (an earlier start of this node left it), stale_image (a warm container of a rebuilt image).");
        _requestsRejected = meter.CreateCounter<long>("soulbox.requests.rejected", "{request}",
            "HTTP requests the gateway answered 429 or 503 (rate limit, requests in flight, tenant share, node busy, no capacity, unavailable), by node, tenant, status and code.");
        _membershipChanges = meter.CreateCounter<long>("soulbox.membership.changes", "{change}",
            "Cluster membership changes this silo observed (a silo joining, becoming active, shutting down, declared dead), by the silo's new status.");
        _compileCacheHits = meter.CreateCounter<long>("soulbox.compile.cache.hits", "{run}",
            "One-shot runs of a compiled language (Go, Java) whose compile was skipped: the outputs came from this node's compile cache, by language.");
        _compileCacheMisses = meter.CreateCounter<long>("soulbox.compile.cache.misses", "{run}",
            "One-shot runs of a compiled language that compiled: no entry in this node's compile cache (the cache on), by language.");
        _compileCacheEvictions = meter.CreateCounter<long>("soulbox.compile.cache.evictions", "{entry}",
            "Compile cache entries removed, least recently used first, to stay within SoulBox:CompileCache:MaxBytes.");
        meter.CreateObservableGauge("soulbox.compile.cache.size", () => new Measurement<long>(CompileCacheSize().Bytes), "By", "Bytes this node's compile cache holds (entries on disk).");
        meter.CreateObservableGauge("soulbox.compile.cache.entries", () => new Measurement<long>(CompileCacheSize().Entries), "{entry}", "Entries this node's compile cache holds.");
        meter.CreateObservableGauge("soulbox.pool.warm", () => WarmContainers(), "{container}", "Warm containers per template.");
        meter.CreateObservableGauge("soulbox.sandbox.memory", () => SandboxMemory(), "By", "Memory in use by sandbox containers on this node.");
        meter.CreateObservableCounter("soulbox.sandbox.cpu.time", () => SandboxCpuSeconds(), "s", "CPU time used by sandbox containers on this node (rate = cores in use).");
        meter.CreateObservableGauge("soulbox.node.draining", () => NodeDraining(), "{node}", "1 while this worker node drains (takes no new work), else 0; tag node.");
        meter.CreateObservableGauge("soulbox.node.capacity", () => NodeCapacity(), "{sandbox}",
            "Sandboxes this worker node declares it holds (SoulBox:Sandbox:MaxSandboxesPerNode); placement shares work in proportion to it. Tag node.");
    }

    /// <summary>Set by the node: warm containers per template, for the gauge.</summary>
    public Func<IEnumerable<Measurement<long>>> WarmContainers { get; set; } = static () => [];

    /// <summary>Set by the node: memory of its sandbox containers, for the gauge.</summary>
    public Func<IEnumerable<Measurement<long>>> SandboxMemory { get; set; } = static () => [];

    /// <summary>Set by the node: CPU seconds used so far by its sandbox containers (cgroup cpu.stat), per template, for the counter.</summary>
    public Func<IEnumerable<Measurement<double>>> SandboxCpuSeconds { get; set; } = static () => [];

    /// <summary>Set by a worker node: 1 while it drains, else 0, tagged with the node.</summary>
    public Func<IEnumerable<Measurement<long>>> NodeDraining { get; set; } = static () => [];

    /// <summary>Set by a worker node: its declared sandbox capacity, tagged with the node.</summary>
    public Func<IEnumerable<Measurement<long>>> NodeCapacity { get; set; } = static () => [];

    /// <summary>Set by the node's compile cache: its size, for the gauges.</summary>
    public Func<(long Bytes, int Entries)> CompileCacheSize { get; set; } = static () => (0, 0);

    public void CompileCacheHit(string language) => _compileCacheHits.Add(1, new KeyValuePair<string, object?>("language", language));

    public void CompileCacheMiss(string language) => _compileCacheMisses.Add(1, new KeyValuePair<string, object?>("language", language));

    public void CompileCacheEvicted(int entries) => _compileCacheEvictions.Add(entries);

    public void Executed(string kind, string language, ExecutionStatus status, TimeSpan elapsed)
    {
        var tags = new TagList { { "kind", kind }, { "language", language }, { "outcome", status.ToWire() } };
        _executions.Add(1, tags);
        _executionDuration.Record(elapsed.TotalMilliseconds, tags);
    }

    public void ExecutionRefused(string reason) => _executionsRefused.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>The gateway answered 429 or 503: <paramref name="tenant"/> is the caller's ("anonymous" without a valid key).</summary>
    public void RequestRejected(string node, string tenant, int status, string code) =>
        _requestsRejected.Add(1, new TagList { { "node", node }, { "tenant", tenant }, { "status", status.ToString(System.Globalization.CultureInfo.InvariantCulture) }, { "code", code } });

    /// <summary>A silo of the cluster changed to <paramref name="status"/> (lower case: joining, active, shuttingdown, stopping, dead).</summary>
    public void MembershipChanged(string status) => _membershipChanges.Add(1, new KeyValuePair<string, object?>("status", status));

    /// <param name="image">Short id of the image the sandbox's container runs (pool hits and misses by image).</param>
    public void SandboxCreated(string template, TimeSpan elapsed, bool fromPool, string image)
    {
        _createDuration.Record(elapsed.TotalMilliseconds, new KeyValuePair<string, object?>("template", template));
        _activeSandboxes.Add(1, new KeyValuePair<string, object?>("template", template));
        (fromPool ? _poolHits : _poolMisses).Add(1, new TagList { { "template", template }, { "image", image } });
    }

    public void ContainerReaped(string node, string reason) =>
        _containersReaped.Add(1, new TagList { { "node", node }, { "reason", reason } });

    public void SandboxEnded(string template) => _activeSandboxes.Add(-1, new KeyValuePair<string, object?>("template", template));

    public void SandboxLost(string template) => _sandboxesLost.Add(1, new KeyValuePair<string, object?>("template", template));

    public void ContainerStarted(string template, TimeSpan elapsed) =>
        _containerStart.Record(elapsed.TotalMilliseconds, new KeyValuePair<string, object?>("template", template));
}
