namespace SoulBox;

/// <summary>A worker node's load, used to place new sandboxes.</summary>
[GenerateSerializer, Immutable, Alias("soulbox.NodeLoad")]
public sealed record NodeLoad
{
    [Id(0)] public required string Node { get; init; }
    [Id(1)] public int ActiveSandboxes { get; init; }
    [Id(2)] public int MaxSandboxes { get; init; }
    [Id(3)] public int WarmContainers { get; init; }
    [Id(4)] public double CpuUsage { get; init; }
    [Id(5)] public long AvailableMemoryBytes { get; init; }
    [Id(6)] public string[] Templates { get; init; } = [];

    /// <summary>Lower is better: share of the sandbox budget in use, nudged by CPU. Warm containers are not in it: they
    /// only break ties (see the sandbox factory's node picker), so they never outweigh a real difference in load.</summary>
    public double Score => (MaxSandboxes == 0 ? 1 : (double)ActiveSandboxes / MaxSandboxes) + CpuUsage / 200;
}
