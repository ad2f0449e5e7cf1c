using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace SoulBox.Grains.Placement;

/// <summary>Activates a node-pinned grain on the silo whose name its key carries. When that silo is not an
/// active member able to host the grain, the grain is activated locally (or on any compatible silo) and
/// reports itself lost there: a sandbox must never silently come back to life on another host.
/// <para>A silo learns that another is Active (membership gossip) a little before it learns what grains that silo
/// hosts (its grain manifest, fetched afterwards): 5-30 ms here, longer on a cold machine. A call placed in that gap
/// used to land on this silo instead, and Orleans then kept routing the key here: a gateway that asked for a new
/// worker's load in the gap never saw that worker (the two-silo Redis test put 4 of 4 sandboxes on the first silo),
/// and a sandbox called in the gap answered "lost" while it ran. So while the node is Active but its manifest is
/// not yet known here, placement waits for the manifest (up to <see cref="ManifestWait"/>).</para></summary>
internal sealed partial class NodePinnedPlacementDirector(
    IClusterMembershipService membership,
    IClusterManifestProvider manifests,
    TimeProvider time,
    ILogger<NodePinnedPlacementDirector> logger) : IPlacementDirector
{
    /// <summary>How long placement waits for an Active node's grain manifest before giving up on it.</summary>
    internal static readonly TimeSpan ManifestWait = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan ManifestPoll = TimeSpan.FromMilliseconds(20);

    public async Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var key = target.GrainIdentity.Key.ToString() ?? "";
        var node = SandboxIds.NodeOf(key) ?? key;
        var started = time.GetTimestamp();
        while (ActiveSilo(node) is { } owner)
        {
            if (context.GetCompatibleSilos(target).Contains(owner))
            {
                return owner;
            }

            // The owner's manifest is here and says it does not host this grain (a gateway's name in a forged id):
            // waiting would not change that.
            if (manifests.Current.Silos.ContainsKey(owner))
            {
                break;
            }

            if (time.GetElapsedTime(started) >= ManifestWait)
            {
                LogManifestMissing(key, node, ManifestWait.TotalSeconds);
                break;
            }

            await Task.Delay(ManifestPoll, time);
        }

        var compatible = context.GetCompatibleSilos(target);
        return compatible.Contains(context.LocalSilo) ? context.LocalSilo : compatible[0];
    }

    private SiloAddress? ActiveSilo(string node)
    {
        foreach (var member in membership.CurrentSnapshot.Members.Values)
        {
            if (member.Name == node && member.Status == SiloStatus.Active)
            {
                return member.SiloAddress;
            }
        }

        return null;
    }

    [LoggerMessage(1, LogLevel.Warning, "Grain {GrainKey} placed off its node {Node}: the node is Active but its grain manifest did not arrive within {Seconds} s")]
    private partial void LogManifestMissing(string grainKey, string node, double seconds);
}
