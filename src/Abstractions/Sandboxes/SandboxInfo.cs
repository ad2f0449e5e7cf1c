namespace SoulBox;

/// <summary>A sandbox as SoulBox reports it: where it runs, its lifetime, size and owner.</summary>
[GenerateSerializer, Immutable, Alias("soulbox.SandboxInfo")]
public sealed record SandboxInfo
{
    /// <summary>Sandbox id, "&lt;node&gt;.&lt;random&gt;" (see <see cref="SandboxIds"/>).</summary>
    [Id(0)] public required string Id { get; init; }
    /// <summary>The template (runtime image) it was created from.</summary>
    [Id(1)] public required string Template { get; init; }
    /// <summary>Name of the worker node (silo) whose Docker host holds the container.</summary>
    [Id(2)] public required string Node { get; init; }
    /// <summary>When it was created.</summary>
    [Id(3)] public DateTimeOffset CreatedAt { get; init; }
    /// <summary>When it will be removed unless its timeout is extended.</summary>
    [Id(4)] public DateTimeOffset ExpiresAt { get; init; }
    /// <summary>Caller-supplied labels, for listing and filtering.</summary>
    [Id(5)] public Dictionary<string, string> Metadata { get; init; } = [];
    /// <summary>CPUs it may use.</summary>
    [Id(6)] public double Cpu { get; init; }
    /// <summary>Memory limit in MiB.</summary>
    [Id(7)] public int MemoryMb { get; init; }
    /// <summary>The tenant that owns it (the HTTP gateway's API key tenant, or the .NET client's tenant).</summary>
    [Id(8)] public string? Tenant { get; init; }
    /// <summary>The Docker container id.</summary>
    [Id(9)] public string ContainerId { get; init; } = "";
    /// <summary>Whether the sandbox was claimed from the node's warm pool (no container start on the create path).</summary>
    [Id(10)] public bool WarmStart { get; init; }
    /// <summary>A secret the sandbox's own data-plane calls carry (E2B's envdAccessToken): made at create, shown
    /// only to its tenant. Random, 32 bytes, base64url.</summary>
    [Id(11)] public string AccessToken { get; init; } = "";
}
