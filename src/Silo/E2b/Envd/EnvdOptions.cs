namespace SoulBox.Silo.E2b.Envd;

/// <summary>Bounds of the gateway's envd (configuration section "SoulBox:E2b:Envd"). File upload and request body
/// limits are the node's own (<see cref="Hosting.GatewayHttpOptions"/>).</summary>
public sealed class EnvdOptions
{
    public const string SectionName = "SoulBox:E2b:Envd";

    /// <summary>Largest Connect request message (unary body, or the one envelope of a stream call), which also
    /// bounds one SendInput. Default 8 MiB.</summary>
    public int MaxMessageBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Most entries one ListDir answers (a deep listing of a big tree is refused past it). Default 10,000.</summary>
    public int MaxListEntries { get; set; } = 10_000;

    /// <summary>WatchDir is served by polling the directory's listing (the agent has no inotify): how often.
    /// Default 1,000 ms; at least 100.</summary>
    public int WatchPollIntervalMs { get; set; } = 1000;

    /// <summary>Most entries one WatchDir follows (each poll lists them all; a recursive watch of a bigger tree ends
    /// with resource_exhausted). Default 2,000.</summary>
    public int MaxWatchEntries { get; set; } = 2000;

    public IEnumerable<string> Validate()
    {
        if (MaxMessageBytes < 64 * 1024) yield return $"{SectionName}:MaxMessageBytes must be at least 65536.";
        if (MaxListEntries < 1) yield return $"{SectionName}:MaxListEntries must be at least 1.";
        if (WatchPollIntervalMs < 100) yield return $"{SectionName}:WatchPollIntervalMs must be at least 100.";
        if (MaxWatchEntries < 1) yield return $"{SectionName}:MaxWatchEntries must be at least 1.";
    }
}
