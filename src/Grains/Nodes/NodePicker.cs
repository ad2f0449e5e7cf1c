namespace SoulBox.Grains.Nodes;

/// <summary>Chooses the node for new work from the nodes' load reports.
/// <para>A node's size is what it declares: <see cref="NodeLoad.MaxSandboxes"/> (SoulBox:Sandbox:MaxSandboxesPerNode)
/// for sandboxes and <see cref="NodeLoad.MaxExecutions"/> (SoulBox:Sandbox:MaxConcurrentExecutions) for one-shot
/// runs. Load is the share of that size in use, so a node that declares twice the size takes twice the work, and
/// ties are judged in units of one more sandbox (or run) on each node, so a small node is not crowded by a large
/// one's rounding. We chose the two limits over a separate weight (cores, memory) because they are what the node
/// enforces anyway: a weight that disagreed with them would place work the node then refuses.</para>
/// <para>Sandboxes: load decides (<see cref="NodeLoad.Score"/>, nudged by CPU); a warm container only breaks ties
/// between nodes within half a sandbox of the least loaded, and the rest of a tie is broken at random. Warm
/// containers used to take 0.05 off the score, worth five sandboxes on a 100-sandbox node: right after start-up a
/// node whose pool had filled took every create of a burst while a node whose pool was still starting took none
/// (the two-silo Redis test put 4 of 4 on one).</para>
/// <para>Draining nodes take nothing; nodes that cannot start a container now (<see cref="NodeLoad.NotReady"/>)
/// take work only when no ready node has the template, so a node that failed once is not shunned for good.</para></summary>
internal static class NodePicker
{
    /// <summary>The nodes that may take new work of <paramref name="template"/>, or the error that says why none may.</summary>
    public static NodeLoad[] Candidates(IReadOnlyList<NodeLoad> nodes, string template, bool forSandbox, IReadOnlyCollection<string> excluded)
    {
        var open = nodes.Where(n => !n.Draining && !excluded.Contains(n.Node)).ToArray();
        if (open.Length == 0)
        {
            var draining = nodes.FirstOrDefault(n => n.Draining) ?? nodes.FirstOrDefault(n => excluded.Contains(n.Node));
            throw draining is null
                ? new NoCapacityException("No worker node is up.")
                : new NodeDrainingException(draining.Node, "Every worker node is draining; retry after the Retry-After seconds.");
        }

        var candidates = open.Where(n => n.Templates.Contains(template)).ToArray();
        if (candidates.Length == 0)
        {
            throw new NoCapacityException($"No worker node has the '{template}' image; run {Templates.SetupCommand(template)} on a worker.");
        }

        if (forSandbox)
        {
            candidates = [.. candidates.Where(n => n.ActiveSandboxes < n.MaxSandboxes)];
            if (candidates.Length == 0)
            {
                throw new NoCapacityException("Every worker node is at its sandbox limit.");
            }
        }

        var ready = candidates.Where(n => n.NotReady.Length == 0).ToArray();
        return ready.Length > 0 ? ready : candidates;
    }

    /// <summary>The node for a new sandbox.</summary>
    public static NodeLoad Pick(IReadOnlyList<NodeLoad> candidates, Random random)
    {
        var best = candidates.Min(n => n.Score);
        var near = candidates.Where(n => n.Score - best < OneSandbox(n) / 2).ToArray();
        var warm = near.Where(n => n.WarmContainers > 0).ToArray();
        var pool = warm.Length > 0 ? warm : near;
        return pool[random.Next(pool.Length)];
    }

    /// <summary>The node for a one-shot run: the smallest share of execution slots in use, ties within half a run.</summary>
    public static NodeLoad PickForExecution(IReadOnlyList<NodeLoad> candidates, Random random)
    {
        var best = candidates.Min(n => n.ExecutionScore);
        var near = candidates.Where(n => n.ExecutionScore - best < OneRun(n) / 2).ToArray();
        return near[random.Next(near.Length)];
    }

    /// <summary>How much one more sandbox raises a node's score.</summary>
    public static double OneSandbox(NodeLoad node) => node.MaxSandboxes == 0 ? 1 : 1.0 / node.MaxSandboxes;

    /// <summary>How much one more one-shot run raises a node's execution score.</summary>
    public static double OneRun(NodeLoad node) => node.MaxExecutions == 0 ? 1 : 1.0 / node.MaxExecutions;
}
