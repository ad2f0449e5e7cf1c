using Orleans.Runtime;
using SoulBox.Grains.Containers;

namespace SoulBox.Grains.Reaping;

/// <summary>Whether a worker removes a container it finds on its engine: a pure function of the container's labels,
/// the worker's own identity and this cluster's membership view.
/// <para>Keeps anything it cannot prove is dead and ours: another cluster's, another engine's, a live silo's, one whose
/// silo the view does not know yet. Reaps this node's containers from an earlier start (the node knows its own name),
/// and containers whose creating silo incarnation the membership marks dead. The incarnation (silo address with its
/// generation), not the node name, is what is compared: a node that restarted under the same name is a new
/// incarnation, so a survivor reaping the old one's containers can never take the new one's, however they race.</para></summary>
public static class ReapDecision
{
    /// <returns>A <see cref="ReapReason"/>, or null to keep the container.</returns>
    public static string? Decide(IReadOnlyDictionary<string, string> labels, ContainerOwner self, string engineId, Func<SiloAddress, SiloStatus> statusOf)
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
        if (node == self.Node)
        {
            // Containers of a start of this node before this one; unlabelled ones are from a version before labels.
            return creator is not null && creator.Equals(self.Silo) ? null : ReapReason.Orphan;
        }

        // An unlabelled container of another node is left to that node's own next start.
        return cluster is not null && creator is not null && statusOf(creator) == SiloStatus.Dead ? ReapReason.DeadNode : null;
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
