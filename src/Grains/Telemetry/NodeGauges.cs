using System.Diagnostics.Metrics;
using SoulBox.Grains.Containers;
using SoulBox.Grains.Pool;
using SoulBox.Grains.Sandboxes;

namespace SoulBox.Grains.Telemetry;

/// <summary>Feeds the node's observable gauges (warm containers per template, sandbox memory) from the
/// pool and the registry when the silo starts.</summary>
internal sealed class NodeGauges(SoulBoxMetrics metrics, WarmContainerPool pool, SandboxRegistry registry) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(NodeGauges), ServiceLifecycleStage.RuntimeServices, _ =>
        {
            metrics.WarmContainers = () => pool.Templates.Select(t => new Measurement<long>(pool.Idle(t), new KeyValuePair<string, object?>("template", t)));
            metrics.SandboxMemory = () => registry.Live
                .GroupBy(s => s.Template)
                .Select(g => new Measurement<long>(g.Sum(s => ContainerCgroup.ReadMemoryUsage(s.ContainerId)), new KeyValuePair<string, object?>("template", g.Key)));
            return Task.CompletedTask;
        });
}
