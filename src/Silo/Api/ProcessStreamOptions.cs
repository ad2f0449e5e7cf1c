namespace SoulBox.Silo.Api;

/// <summary>Bounds of background-process event streams on one gateway (configuration section "SoulBox:ProcessStreams").
/// An attached stream lasts as long as its caller stays, so it does not hold one of the tenant's in-flight requests
/// (SoulBox:Limits:MaxInFlight) past its start; these bound them instead.</summary>
public sealed class ProcessStreamOptions
{
    public const string SectionName = "SoulBox:ProcessStreams";

    /// <summary>Process event streams one tenant may have open at once on this gateway; one more is answered 429.
    /// Default 64.</summary>
    public int MaxPerTenant { get; set; } = 64;

    /// <summary>Process event streams open at once on this gateway over all tenants; one more is answered 429.
    /// Default 1024.</summary>
    public int MaxPerNode { get; set; } = 1024;

    /// <summary>Seconds without an event after which a stream sends an SSE comment (<c>: keep-alive</c>) so proxies
    /// and clients do not take a quiet process for a dead connection. Default 15.</summary>
    public int KeepAliveSeconds { get; set; } = 15;

    public IEnumerable<string> Validate()
    {
        if (MaxPerTenant < 1) yield return $"{SectionName}:MaxPerTenant must be at least 1.";
        if (MaxPerNode < MaxPerTenant) yield return $"{SectionName}:MaxPerNode must be at least MaxPerTenant.";
        if (KeepAliveSeconds < 1) yield return $"{SectionName}:KeepAliveSeconds must be at least 1.";
    }
}
