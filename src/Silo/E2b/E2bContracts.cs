using System.Text.Json.Serialization;

namespace SoulBox.Silo.E2b;

// E2B's control-plane shapes (spec/openapi.yml of e2b-dev/E2B), with E2B's own field names.

/// <summary>Body of POST /sandboxes and /v2/sandboxes. Fields SoulBox does not act on (mcp, network, iam, autoPause
/// and its siblings, volumeMounts) are read and ignored, as the docs say.</summary>
public sealed record E2bNewSandbox
{
    [JsonPropertyName("templateID")] public string? TemplateId { get; init; }
    /// <summary>Lifetime in seconds.</summary>
    [JsonPropertyName("timeout")] public int? Timeout { get; init; }
    [JsonPropertyName("metadata")] public Dictionary<string, string>? Metadata { get; init; }
    [JsonPropertyName("envVars")] public Dictionary<string, string>? EnvVars { get; init; }
    /// <summary>Sandboxes have no network whatever this says (no egress until SoulBox offers an opt-in); accepted so
    /// programs that pass it run.</summary>
    [JsonPropertyName("allow_internet_access")] public bool? AllowInternetAccess { get; init; }
    [JsonPropertyName("autoPause")] public bool? AutoPause { get; init; }
}

/// <summary>Body of POST /sandboxes/{id}/connect (and /v2/...) and /sandboxes/{id}/timeout.</summary>
public sealed record E2bTimeoutBody
{
    [JsonPropertyName("timeout")] public int? Timeout { get; init; }
}

/// <summary>Answer to create and connect: what the SDK needs to reach the sandbox's data plane.</summary>
public sealed record E2bSandbox
{
    [JsonPropertyName("sandboxID")] public required string SandboxId { get; init; }
    [JsonPropertyName("templateID")] public required string TemplateId { get; init; }
    [JsonPropertyName("clientID")] public string ClientId { get; init; } = E2bApi.ClientId;
    [JsonPropertyName("envdVersion")] public string EnvdVersion { get; init; } = E2bApi.EnvdVersion;
    [JsonPropertyName("envdAccessToken")] public required string EnvdAccessToken { get; init; }
    [JsonPropertyName("trafficAccessToken")] public required string TrafficAccessToken { get; init; }
    [JsonPropertyName("domain")] public string? Domain { get; init; }
}

/// <summary>A sandbox in GET /v2/sandboxes, and GET /sandboxes/{id}.</summary>
public sealed record E2bListedSandbox
{
    [JsonPropertyName("sandboxID")] public required string SandboxId { get; init; }
    [JsonPropertyName("templateID")] public required string TemplateId { get; init; }
    [JsonPropertyName("clientID")] public string ClientId { get; init; } = E2bApi.ClientId;
    [JsonPropertyName("startedAt")] public DateTimeOffset StartedAt { get; init; }
    [JsonPropertyName("endAt")] public DateTimeOffset EndAt { get; init; }
    [JsonPropertyName("cpuCount")] public int CpuCount { get; init; }
    [JsonPropertyName("memoryMB")] public int MemoryMb { get; init; }
    [JsonPropertyName("diskSizeMB")] public int DiskSizeMb { get; init; }
    [JsonPropertyName("metadata")] public Dictionary<string, string> Metadata { get; init; } = [];
    [JsonPropertyName("state")] public string State { get; init; } = "running";
    [JsonPropertyName("envdVersion")] public string EnvdVersion { get; init; } = E2bApi.EnvdVersion;
    [JsonPropertyName("allowInternetAccess")] public bool AllowInternetAccess { get; init; }

    public static E2bListedSandbox From(SandboxInfo info) => new()
    {
        SandboxId = info.Id,
        TemplateId = E2bTemplates.ToE2b(info.Template),
        StartedAt = info.CreatedAt,
        EndAt = info.ExpiresAt,
        CpuCount = Math.Max(1, (int)Math.Ceiling(info.Cpu)),
        MemoryMb = info.MemoryMb,
        Metadata = info.Metadata,
    };
}

/// <summary>E2B's error body: the SDK reads <c>code</c> (404 → not found) and <c>message</c>.</summary>
public sealed record E2bError(
    [property: JsonPropertyName("code")] int Code,
    [property: JsonPropertyName("message")] string Message);
