namespace SoulBox.Silo.Auth;

/// <summary>API keys and the tenants they stand for (configuration section "SoulBox:Auth").</summary>
public sealed class AuthOptions
{
    public const string SectionName = "SoulBox:Auth";

    /// <summary>The tenant of every caller when no keys are required (a loopback-only gateway).</summary>
    public const string DefaultTenant = "default";

    private readonly List<string> _bindProblems = [];

    /// <summary>API key → tenant. Configured as <c>SoulBox:Auth:Keys:&lt;key&gt; = &lt;tenant&gt;</c> or as a list
    /// <c>SoulBox:Auth:Keys:0:Key</c> / <c>SoulBox:Auth:Keys:0:Tenant</c> (both required). Default: none.</summary>
    public Dictionary<string, string> Keys { get; } = new(StringComparer.Ordinal);

    /// <summary>Keys that open the Orleans Dashboard (header, Bearer, or as the Basic-auth password of a browser).
    /// Default: none.</summary>
    public List<string> AdminKeys { get; set; } = [];

    /// <summary>Whether callers must present a key. Default: true when any key is configured or SoulBox:Redis is set
    /// (keys then also come from Redis); false otherwise, and then the gateway binds to loopback only.</summary>
    public bool? RequireKeys { get; set; }

    /// <summary>Whether a caller connecting from a loopback address is an admin (opens the dashboard without a key).
    /// Default: true only when no keys are required (the loopback-only developer node); false as soon as keys are,
    /// because a reverse proxy on the same host makes every outside caller a loopback caller.</summary>
    public bool? LoopbackIsAdmin { get; set; }

    /// <summary>Redis hash of SHA-256(API key) in lower-case hex → entry (tenant and creation time), read when
    /// SoulBox:Redis is set and managed with <c>SoulBox.Silo keys</c>. Default "soulbox:apikeys".</summary>
    public string RedisHash { get; set; } = "soulbox:apikeys";

    /// <summary>How long a key read from Redis (or its absence) is remembered by a gateway: a key revoked in Redis stops
    /// working within this many seconds on every gateway. Default 5 s.</summary>
    public int RedisCacheSeconds { get; set; } = 5;

    /// <summary>Redis connection string (copied from SoulBox:Redis).</summary>
    internal string? Redis { get; set; }

    internal bool KeysRequired => RequireKeys ?? (Keys.Count > 0 || AdminKeys.Count > 0 || Redis is { Length: > 0 });

    internal bool LoopbackAdmin => LoopbackIsAdmin ?? !KeysRequired;

    /// <summary>Reads the section, accepting both shapes of Keys. A list entry without a tenant is refused (by
    /// <see cref="Validate"/>), never given a default tenant: a key meant for one customer must not land in a
    /// tenant shared by others.</summary>
    public static AuthOptions From(IConfiguration configuration)
    {
        var options = new AuthOptions();
        var section = configuration.GetSection(SectionName);
        section.Bind(options);
        options.Keys.Clear();
        foreach (var entry in section.GetSection("Keys").GetChildren())
        {
            var listed = IsListIndex(entry.Key);
            if (entry.Value is { Length: > 0 } value && !listed)
            {
                options.Keys[entry.Key] = value;
            }
            else if (entry.Value is not null && listed)
            {
                // SoulBox:Auth:Keys:0=<key> (an array of bare keys, e.g. SoulBox__Auth__Keys__0): it would bind as
                // key "0" for a tenant named after the secret. Never echo the value: it is a key.
                options._bindProblems.Add($"{SectionName}:Keys:{entry.Key} is a list entry without a tenant; write " +
                    $"{SectionName}:Keys:<key>=<tenant>, or {SectionName}:Keys:{entry.Key}:Key and {SectionName}:Keys:{entry.Key}:Tenant.");
            }
            else if (entry["Key"] is { Length: > 0 } key)
            {
                if (entry["Tenant"] is { Length: > 0 } tenant)
                {
                    options.Keys[key] = tenant;
                }
                else
                {
                    options._bindProblems.Add($"{SectionName}:Keys:{entry.Key}:Tenant is missing: every API key needs its tenant.");
                }
            }
            else if (entry.GetChildren().Any())
            {
                options._bindProblems.Add($"{SectionName}:Keys:{entry.Key}:Key is missing.");
            }
        }

        options.Redis = configuration["SoulBox:Redis"];
        return options;
    }

    public IEnumerable<string> Validate()
    {
        foreach (var problem in _bindProblems)
        {
            yield return problem;
        }

        foreach (var (key, tenant) in Keys)
        {
            if (key.Length < 16) yield return $"{SectionName}:Keys: API key for tenant '{tenant}' is shorter than 16 characters.";
            if (!IsValidTenant(tenant)) yield return $"{SectionName}:Keys: tenant '{tenant}' must be 1-64 letters, digits, '-', '_' or '.'.";
        }

        foreach (var key in AdminKeys)
        {
            if (key.Length < 16) yield return $"{SectionName}:AdminKeys: an admin key is shorter than 16 characters.";
        }

        if (RedisCacheSeconds < 0) yield return $"{SectionName}:RedisCacheSeconds must not be negative.";
        if (string.IsNullOrWhiteSpace(RedisHash)) yield return $"{SectionName}:RedisHash must not be empty.";
    }

    public static bool IsValidTenant(string tenant) =>
        tenant.Length is > 0 and <= 64 && tenant.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>Configuration arrays bind as children "0", "1", ...; a real key is at least 16 characters, so a short
    /// all-digit name can only be an index.</summary>
    private static bool IsListIndex(string name) => name.Length is > 0 and < 16 && name.All(char.IsAsciiDigit);
}
