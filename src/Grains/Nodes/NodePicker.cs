namespace SoulBox.Grains.Nodes;

/// <summary>Chooses the node for new work from the nodes' load reports. Load decides (<see cref="NodeLoad.Score"/>: the
/// share of the node's sandbox budget in use, nudged by CPU); a warm container only breaks ties between nodes within
/// half a sandbox of the least loaded, and the rest of a tie is broken at random. Warm containers used to take 0.05 off
/// the score, worth five sandboxes on a 100-sandbox node: right after start-up a node whose pool had filled took every
/// create of a burst while a node whose pool was still starting took none (the two-silo Redis test put 4 of 4 on one).</summary>
internal static class NodePicker
{
    public static NodeLoad Pick(IReadOnlyList<NodeLoad> candidates, Random random)
    {
        var best = candidates.Min(n => n.Score);
        var near = candidates.Where(n => n.Score - best < OneSandbox(n) / 2).ToArray();
        var warm = near.Where(n => n.WarmContainers > 0).ToArray();
        var pool = warm.Length > 0 ? warm : near;
        return pool[random.Next(pool.Length)];
    }

    /// <summary>How much one more sandbox raises a node's score.</summary>
    public static double OneSandbox(NodeLoad node) => node.MaxSandboxes == 0 ? 1 : 1.0 / node.MaxSandboxes;
}
