namespace SoulBox.Silo.Auth;

/// <summary>Per-tenant limits of the HTTP gateway (configuration section "SoulBox:Limits"); a tenant's own
/// entry under Tenants overrides each value it sets.</summary>
public sealed class LimitsOptions
{
    public const string SectionName = "SoulBox:Limits";

    /// <summary>Sandboxes one tenant may have alive at once. Default 20; 0 = no limit.</summary>
    public int MaxSandboxes { get; set; } = 20;

    /// <summary>Requests per second one tenant may make (token bucket refill). Default 200; 0 = no limit.</summary>
    public int RequestsPerSecond { get; set; } = 200;

    /// <summary>Requests one tenant may make at once above the steady rate (bucket size). Default 400.</summary>
    public int Burst { get; set; } = 400;

    /// <summary>Requests one tenant may have in flight at once on one gateway (a streamed download or run counts
    /// until it ends); one more is answered 429 with Retry-After. Default 32; 0 = no limit.</summary>
    public int MaxInFlight { get; set; } = 32;

    /// <summary>Overrides per tenant name.</summary>
    public Dictionary<string, TenantLimits> Tenants { get; set; } = new(StringComparer.Ordinal);

    public TenantLimits For(string tenant)
    {
        var own = Tenants.GetValueOrDefault(tenant);
        return new TenantLimits
        {
            MaxSandboxes = own?.MaxSandboxes ?? MaxSandboxes,
            RequestsPerSecond = own?.RequestsPerSecond ?? RequestsPerSecond,
            Burst = own?.Burst ?? Burst,
            MaxInFlight = own?.MaxInFlight ?? MaxInFlight,
        };
    }

    public IEnumerable<string> Validate()
    {
        if (MaxSandboxes < 0) yield return $"{SectionName}:MaxSandboxes must not be negative.";
        if (RequestsPerSecond < 0) yield return $"{SectionName}:RequestsPerSecond must not be negative.";
        if (Burst < 1) yield return $"{SectionName}:Burst must be at least 1.";
        if (MaxInFlight < 0) yield return $"{SectionName}:MaxInFlight must not be negative (0 = no limit).";
        foreach (var (name, limits) in Tenants)
        {
            if (limits.MaxSandboxes < 0 || limits.RequestsPerSecond < 0 || limits.Burst < 1 || limits.MaxInFlight < 0)
            {
                yield return $"{SectionName}:Tenants:{name}: limits must not be negative and Burst at least 1.";
            }
        }
    }
}

public sealed class TenantLimits
{
    public int? MaxSandboxes { get; set; }
    public int? RequestsPerSecond { get; set; }
    public int? Burst { get; set; }
    public int? MaxInFlight { get; set; }
}
