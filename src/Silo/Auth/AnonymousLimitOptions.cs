namespace SoulBox.Silo.Auth;

/// <summary>Request rate of callers without a valid API key, per remote address (configuration section
/// "SoulBox:AnonymousLimits"). Counts every such request (401s, the API reference, /metrics), so guessing keys or
/// flooding the gateway with unauthenticated requests costs the caller, not the node; /health and /ready are not
/// counted (probes). Behind a reverse proxy every caller has the proxy's address and shares one bucket.</summary>
public sealed class AnonymousLimitOptions
{
    public const string SectionName = "SoulBox:AnonymousLimits";

    /// <summary>Requests per second one address may make without a valid key (token bucket refill). Default 10;
    /// 0 = no limit.</summary>
    public int RequestsPerSecond { get; set; } = 10;

    /// <summary>Requests one address may make at once above the steady rate (bucket size). Default 50.</summary>
    public int Burst { get; set; } = 50;

    /// <summary>Leading bits of an IPv6 address that make one caller (a host usually owns a whole /64). Default 64.</summary>
    public int Ipv6PrefixBits { get; set; } = 64;

    public IEnumerable<string> Validate()
    {
        if (RequestsPerSecond < 0) yield return $"{SectionName}:RequestsPerSecond must not be negative.";
        if (Burst < 1) yield return $"{SectionName}:Burst must be at least 1.";
        if (Ipv6PrefixBits is < 16 or > 128) yield return $"{SectionName}:Ipv6PrefixBits must be between 16 and 128.";
    }
}
