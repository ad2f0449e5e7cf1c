namespace SoulBox.Silo.Auth;

/// <summary>API keys and the tenants they stand for (configuration section "SoulBox:Auth").</summary>
public sealed class AuthOptions
{
    public const string SectionName = "SoulBox:Auth";

    /// <summary>The tenant of every caller when no keys are required (a loopback-only gateway).</summary>
    public const string DefaultTenant = "default";

    /// <summary>API key → tenant. Configured as <c>SoulBox:Auth:Keys:&lt;key&gt; = &lt;tenant&gt;</c> or as a list
    /// <c>SoulBox:Auth:Keys:0:Key</c> / <c>SoulBox:Auth:Keys:0:Tenant</c>. Default: none.</summary>
    public Dictionary<string, string> Keys { get; } = new(StringComparer.Ordinal);

    /// <summary>Keys that open the Orleans Dashboard from outside loopback (header, Bearer, or as the Basic-auth
    /// password of a browser). Default: none (the dashboard then answers loopback callers only).</summary>
    public List<string> AdminKeys { get; set; } = [];

    /// <summary>Whether callers must present a key. Default: true when any key is configured or SoulBox:Redis is set
    /// (keys then also come from Redis); false otherwise, and then the gateway binds to loopback only.</summary>
    public bool? RequireKeys { get; set; }

    /// <summary>Redis hash of API key → tenant, read when SoulBox:Redis is set. Default "soulbox:apikeys".</summary>
    public string RedisHash { get; set; } = "soulbox:apikeys";

    /// <summary>How long a key read from Redis (or its absence) is remembered. Default 30 s.</summary>
    public int RedisCacheSeconds { get; set; } = 30;

    /// <summary>Redis connection string (copied from SoulBox:Redis).</summary>
    internal string? Redis { get; set; }

    internal bool KeysRequired => RequireKeys ?? (Keys.Count > 0 || AdminKeys.Count > 0 || Redis is { Length: > 0 });

    /// <summary>Reads the section, accepting both shapes of Keys.</summary>
    public static AuthOptions From(IConfiguration configuration)
    {
        var options = new AuthOptions();
        var section = configuration.GetSection(SectionName);
        section.Bind(options);
        options.Keys.Clear();
        foreach (var entry in section.GetSection("Keys").GetChildren())
        {
            if (entry.Value is { Length: > 0 } tenant)
            {
                options.Keys[entry.Key] = tenant;
            }
            else if (entry["Key"] is { Length: > 0 } key)
            {
                options.Keys[key] = entry["Tenant"] is { Length: > 0 } listed ? listed : DefaultTenant;
            }
        }

        options.Redis = configuration["SoulBox:Redis"];
        return options;
    }

    public IEnumerable<string> Validate()
    {
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
    }

    public static bool IsValidTenant(string tenant) =>
        tenant.Length is > 0 and <= 64 && tenant.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
