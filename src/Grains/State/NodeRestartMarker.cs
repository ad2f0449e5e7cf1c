using Microsoft.Extensions.Logging;
using SoulBox.Grains.Hosting;

namespace SoulBox.Grains.State;

/// <summary>When a worker starts, sandboxes that an earlier start of the same node left live in the cluster state (it
/// was killed, or stopped with the store away) become "ended: lost": their containers are reaped by this start, so they
/// are gone even if no survivor saw the node die. Written in the background: a store that is away delays it and
/// does not hold the node's start.</summary>
internal sealed partial class NodeRestartMarker(
    NodeIdentity node,
    ILocalSiloDetails silo,
    IClusterStateStore store,
    ClusterStateRecorder recorder,
    ILogger<NodeRestartMarker> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(NodeRestartMarker), ServiceLifecycleStage.Active, Start);

    private Task Start(CancellationToken cancellationToken)
    {
        if (!store.IsDurable)
        {
            LogInMemory(node.Name);
        }

        recorder.RecordLater($"lost sandboxes of earlier starts of node {node.Name}", (s, ct) =>
            s.MarkNodeLostAsync(node.Name, silo.SiloAddress.Generation - 1, $"its node '{node.Name}' restarted", ct));
        return Task.CompletedTask;
    }

    [LoggerMessage(1, LogLevel.Information, "Node {Node} keeps the cluster state (ended sandboxes, tenants, demand profile) in memory: " +
        "without SoulBox:Redis it is forgotten when this process ends, and ids of earlier runs will answer 404")]
    private partial void LogInMemory(string node);
}
