using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using SoulBox.Grains.Containers;
using SoulBox.Grains.Hosting;
using SoulBox.Grains.Nodes;
using SoulBox.Grains.Pool;
using SoulBox.Grains.Sandboxes;

namespace SoulBox.Grains.Telemetry;

/// <summary>Feeds the node's observable gauges (warm containers per template, sandbox memory, drain state, declared
/// capacity) from the pool, the registry and the drain when the silo starts.</summary>
internal sealed class NodeGauges(
    SoulBoxMetrics metrics,
    WarmContainerPool pool,
    SandboxRegistry registry,
    NodeDrain drain,
    NodeIdentity node,
    IOptions<SandboxOptions> sandboxOptions) : ILifecycleParticipant<ISiloLifecycle>
{
    // The CPU counter must only grow while sandboxes come and go: add each container's growth since the
    // last reading to its template's total.
    private readonly Dictionary<string, double> _lastCpu = [];
    private readonly Dictionary<string, double> _cpuTotals = [];
    private readonly Lock _lock = new();

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(NodeGauges), ServiceLifecycleStage.RuntimeServices, _ =>
        {
            metrics.WarmContainers = () => pool.Templates.Select(t => new Measurement<long>(pool.Idle(t), new KeyValuePair<string, object?>("template", t)));
            metrics.SandboxMemory = () => registry.Live
                .GroupBy(s => s.Template)
                .Select(g => new Measurement<long>(g.Sum(s => ContainerCgroup.ReadMemoryUsage(s.ContainerId)), new KeyValuePair<string, object?>("template", g.Key)));
            metrics.SandboxCpuSeconds = ObserveCpu;
            var tag = new KeyValuePair<string, object?>("node", node.Name);
            metrics.NodeDraining = () => [new Measurement<long>(drain.IsDraining ? 1 : 0, tag)];
            metrics.NodeCapacity = () => [new Measurement<long>(sandboxOptions.Value.MaxSandboxesPerNode, tag)];
            return Task.CompletedTask;
        });

    private IEnumerable<Measurement<double>> ObserveCpu()
    {
        lock (_lock)
        {
            var live = registry.Live.ToList();
            foreach (var sandbox in live)
            {
                var now = ContainerCgroup.ReadCpuSeconds(sandbox.ContainerId);
                var before = _lastCpu.GetValueOrDefault(sandbox.ContainerId);
                _cpuTotals[sandbox.Template] = _cpuTotals.GetValueOrDefault(sandbox.Template) + Math.Max(0, now - before);
                _lastCpu[sandbox.ContainerId] = now;
            }

            foreach (var gone in _lastCpu.Keys.Except(live.Select(s => s.ContainerId)).ToList())
            {
                _lastCpu.Remove(gone);
            }

            return _cpuTotals.Select(t => new Measurement<double>(t.Value, new KeyValuePair<string, object?>("template", t.Key))).ToList();
        }
    }
}
