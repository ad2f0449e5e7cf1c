using Orleans.Runtime;
using SoulBox.Grains.Containers;

namespace SoulBox.Grains.Reaping;

/// <summary>Whether a worker removes a container it finds on its engine: a pure function of the container's labels,
/// the worker's own identity and this cluster's membership view.
/// <para>Keeps anything it cannot prove is dead and ours: another cluster's, another engine's, a live silo's, one whose
/// silo the membership table does not list as dead. Reaps containers whose creating silo incarnation the table lists as
/// dead, and, at this node's start only, every container of this node from an earlier start (as before labels; at any
/// other time a second node misconfigured with the same name would lose its containers every sweep). The incarnation
/// (silo address with its generation), not the node name, is what is compared: a node that restarted under the same
/// name is a new incarnation, so a survivor reaping the old one's containers can never take the new one's, however
/// they race.</para>
/// <para>Only a dead entry in the table counts, not Orleans' inference for silos absent from it (generations older than
/// an hour, successors at the same endpoint): two deployments that share a Docker host and the default ClusterId but not
/// a membership store would each take the other's long-lived silos for dead.</para></summary>
public static class ReapDecision
{
    /// <returns>A <see cref="ReapReason"/>, or null to keep the container.</returns>
    /// <param name="atStart">The sweep before this node takes work: its earlier starts' containers go whatever the view.</param>
    public static string? Decide(IReadOnlyDictionary<string, string> labels, ContainerOwner self, string engineId, ClusterMembershipSnapshot view, bool atStart)
    {
        if (!labels.TryGetValue(DockerContainerRuntime.NodeLabel, out var node))
        {
            return null;
        }

        var cluster = labels.GetValueOrDefault(ContainerLabels.Cluster);
        if (cluster is not null && cluster != self.ClusterId)
        {
            return null;
        }

        if (labels.TryGetValue(ContainerLabels.Engine, out var engine) && engine != engineId)
        {
            return null;
        }

        var creator = labels.TryGetValue(ContainerLabels.Silo, out var silo) ? TryParse(silo) : null;
        var ownNode = node == self.Node;
        if (ownNode && creator is not null && creator.Equals(self.Silo))
        {
            return null;
        }

        if (ownNode && atStart)
        {
            // Unlabelled ones are from a version before labels.
            return ReapReason.Orphan;
        }

        // An unlabelled container of another node is left to that node's own next start.
        if (cluster is null || creator is null || !view.Members.TryGetValue(creator, out var member) || member.Status != SiloStatus.Dead)
        {
            return null;
        }

        return ownNode ? ReapReason.Orphan : ReapReason.DeadNode;
    }

    private static SiloAddress? TryParse(string value)
    {
        try
        {
            return SiloAddress.FromParsableString(value);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or IndexOutOfRangeException)
        {
            // Not written by SoulBox (labels are free text): not provably ours, so kept.
            return null;
        }
    }
}
