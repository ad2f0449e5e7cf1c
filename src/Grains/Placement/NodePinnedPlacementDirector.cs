using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace SoulBox.Grains.Placement;

/// <summary>Activates a node-pinned grain on the silo whose name its key carries. When that silo is not an
/// active member able to host the grain, the grain is activated locally (or on any compatible silo) and
/// reports itself lost there: a sandbox must never silently come back to life on another host.</summary>
internal sealed class NodePinnedPlacementDirector(IClusterMembershipService membership) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var compatible = context.GetCompatibleSilos(target);
        var key = target.GrainIdentity.Key.ToString() ?? "";
        var node = SandboxIds.NodeOf(key) ?? key;
        foreach (var member in membership.CurrentSnapshot.Members.Values)
        {
            if (member.Name == node && member.Status == SiloStatus.Active && compatible.Contains(member.SiloAddress))
            {
                return Task.FromResult(member.SiloAddress);
            }
        }

        return Task.FromResult(compatible.Contains(context.LocalSilo) ? context.LocalSilo : compatible[0]);
    }
}
