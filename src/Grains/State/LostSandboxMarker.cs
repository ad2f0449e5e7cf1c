namespace SoulBox.Grains.State;

/// <summary>The state side of a dead node: every sandbox it hosted in that start (silo generation) or an earlier one
/// becomes "ended: lost" in the cluster state, so its callers get 409 "lost" from any gateway, also after the node's
/// name comes back with a new start. Its containers are another handler's business.</summary>
internal sealed class LostSandboxMarker(ClusterStateRecorder recorder) : IDeadNodeHandler
{
    public Task OnNodeDeadAsync(DeadNode node, CancellationToken cancellationToken) =>
        recorder.RecordAndWaitAsync($"lost sandboxes of dead node {node.Name}", (store, ct) =>
            store.MarkNodeLostAsync(node.Name, node.Silo.Generation, $"its node '{node.Name}' died", ct));
}
