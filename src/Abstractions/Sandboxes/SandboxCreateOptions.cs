namespace SoulBox;

/// <summary>What a new sandbox is made of. Every field has a default; only Template is usually set.</summary>
[GenerateSerializer, Immutable, Alias("soulbox.SandboxCreateOptions")]
public sealed record SandboxCreateOptions
{
    /// <summary>Runtime image: python, node, go or java. Default python.</summary>
    [Id(0)] public string Template { get; init; } = Templates.Python;

    /// <summary>Lifetime in seconds from now; default 300, at most the node's configured maximum.</summary>
    [Id(1)] public int? TimeoutSeconds { get; init; }

    /// <summary>Environment variables for every process and kernel in the sandbox.</summary>
    [Id(2)] public Dictionary<string, string>? Env { get; init; }

    /// <summary>Free-form labels, used to find sandboxes again (ListSandboxesAsync).</summary>
    [Id(3)] public Dictionary<string, string>? Metadata { get; init; }

    /// <summary>CPU cores (fractional); default from the node's options.</summary>
    [Id(4)] public double? Cpu { get; init; }

    /// <summary>Memory limit in MiB (swap is not granted on top); default from the node's options.</summary>
    [Id(5)] public int? MemoryMb { get; init; }

    /// <summary>Owning tenant; set by the gateway from the API key, null for direct client use.</summary>
    [Id(6)] public string? Tenant { get; init; }

    /// <summary>Names of environment variables set to the new sandbox's id, which the caller cannot know before the
    /// create (the E2B gateway asks for E2B_SANDBOX_ID this way).</summary>
    [Id(7)] public string[]? SandboxIdEnv { get; init; }
}
