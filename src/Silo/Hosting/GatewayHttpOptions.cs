namespace SoulBox.Silo.Hosting;

/// <summary>The HTTP side of a node (configuration section "SoulBox:Http").</summary>
public sealed class GatewayHttpOptions
{
    public const string SectionName = "SoulBox:Http";

    /// <summary>Addresses Kestrel listens on, ';'-separated. Default: the host's <c>Urls</c> setting
    /// (appsettings: http://127.0.0.1:8080). Without API keys only loopback addresses are accepted.
    /// A worker-only node listens only when this is set (and then serves /health, /ready and /metrics).</summary>
    public string? Urls { get; set; }

    /// <summary>Largest JSON request body. Default 16 MiB.</summary>
    public long MaxRequestBodyBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Largest file upload (PUT /v1/sandboxes/{id}/files). Default 512 MiB.</summary>
    public long MaxUploadBytes { get; set; } = 512L * 1024 * 1024;

    public IEnumerable<string> Validate()
    {
        if (MaxRequestBodyBytes < 1024) yield return $"{SectionName}:MaxRequestBodyBytes must be at least 1024.";
        if (MaxUploadBytes < 1024) yield return $"{SectionName}:MaxUploadBytes must be at least 1024.";
    }
}
