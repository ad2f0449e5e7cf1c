namespace SoulBox;

/// <summary>A worker node's load, used to place new sandboxes.</summary>
[GenerateSerializer, Immutable, Alias("soulbox.NodeLoad")]
public sealed record NodeLoad
{
    /// <summary>The node's name.</summary>
    [Id(0)] public required string Node { get; init; }
    /// <summary>Sandboxes running on the node.</summary>
    [Id(1)] public int ActiveSandboxes { get; init; }
    /// <summary>The most sandboxes the node takes.</summary>
    [Id(2)] public int MaxSandboxes { get; init; }
    /// <summary>Warm containers ready to be claimed.</summary>
    [Id(3)] public int WarmContainers { get; init; }
    /// <summary>The host's CPU use in percent.</summary>
    [Id(4)] public double CpuUsage { get; init; }
    /// <summary>Memory the host has available, in bytes.</summary>
    [Id(5)] public long AvailableMemoryBytes { get; init; }
    /// <summary>Templates whose images are present.</summary>
    [Id(6)] public string[] Templates { get; init; } = [];
    /// <summary>One-shot executor containers on the node, busy and idle (idle ones also count in WarmContainers).</summary>
    [Id(7)] public int Executors { get; init; }
    /// <summary>One-shot executions running now, and the node's slots for them.</summary>
    [Id(8)] public int RunningExecutions { get; init; }
    /// <summary>One-shot execution slots of the node.</summary>
    [Id(9)] public int MaxExecutions { get; init; }
    /// <summary>The node is draining (admin call or shutdown): it takes no new sandboxes or one-shot runs.</summary>
    [Id(10)] public bool Draining { get; init; }
    /// <summary>What keeps the node from starting a sandbox now (agent missing, no image, engine silent, container
    /// starts failing); empty when it can. See <see cref="IsReady"/>.</summary>
    [Id(11)] public string[] NotReady { get; init; } = [];

    /// <summary>The node's warm pool has not started its first container since start-up. It may well be able to:
    /// placement does not avoid it (a node whose pool fills a second later must not lose a burst to one whose pool
    /// filled first), but readiness waits for it.</summary>
    [Id(12)] public bool WarmingUp { get; init; }

    /// <summary>The node can start a sandbox (a container has started) and is not draining.</summary>
    public bool IsReady => NotReady.Length == 0 && !Draining && !WarmingUp;

    /// <summary>Lower is better for a one-shot run: share of the execution slots in use, then the sandbox score.</summary>
    public double ExecutionScore => (MaxExecutions == 0 ? 1 : (double)RunningExecutions / MaxExecutions) + Score / 10;

    /// <summary>Lower is better: share of the sandbox budget in use, nudged by CPU. Warm containers are not in it: they
    /// only break ties (see the sandbox factory's node picker), so they never outweigh a real difference in load.</summary>
    public double Score => (MaxSandboxes == 0 ? 1 : (double)ActiveSandboxes / MaxSandboxes) + CpuUsage / 200;
}
