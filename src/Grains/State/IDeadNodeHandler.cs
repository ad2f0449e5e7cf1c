namespace SoulBox.Grains.State;

/// <summary>A silo this cluster's membership has declared dead (crashed, killed, or stopped): <paramref name="Name"/> is
/// its node name (SoulBox:NodeName), <paramref name="Silo"/> its address, whose generation tells one start of the node
/// from the next.</summary>
public sealed record DeadNode(string Name, SiloAddress Silo);

/// <summary>Something to do when a silo of the cluster dies, called by <see cref="DeadNodeWatcher"/> on every surviving
/// silo, once per dead silo it sees (so more than once across the cluster: handlers are idempotent). Register with
/// <c>services.AddSingleton&lt;IDeadNodeHandler, T&gt;()</c>.</summary>
public interface IDeadNodeHandler
{
    Task OnNodeDeadAsync(DeadNode node, CancellationToken cancellationToken);
}
