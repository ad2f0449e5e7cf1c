namespace SoulBox;

[GenerateSerializer, Immutable, Alias("soulbox.SandboxInfo")]
public sealed record SandboxInfo
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required string Template { get; init; }
    /// <summary>Name of the worker node (silo) whose Docker host holds the container.</summary>
    [Id(2)] public required string Node { get; init; }
    [Id(3)] public DateTimeOffset CreatedAt { get; init; }
    [Id(4)] public DateTimeOffset ExpiresAt { get; init; }
    [Id(5)] public Dictionary<string, string> Metadata { get; init; } = [];
    [Id(6)] public double Cpu { get; init; }
    [Id(7)] public int MemoryMb { get; init; }
    [Id(8)] public string? Tenant { get; init; }
    [Id(9)] public string ContainerId { get; init; } = "";
    /// <summary>Whether the sandbox was claimed from the node's warm pool (no container start on the create path).</summary>
    [Id(10)] public bool WarmStart { get; init; }
}
