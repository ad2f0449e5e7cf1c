namespace SoulBox.Silo.E2b;

/// <summary>The E2B-compatible surface (section <c>SoulBox:E2b</c>).</summary>
public sealed class E2bOptions
{
    public const string SectionName = "SoulBox:E2b";

    /// <summary>Serve E2B's control plane (<c>/sandboxes</c>, <c>/v2/sandboxes</c>) and data plane (requests carrying
    /// <c>E2b-Sandbox-Id</c>, or a host <c>&lt;port&gt;-&lt;sandboxId&gt;.&lt;Domain&gt;</c>). Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Domain for host-based routing behind a wildcard TLS proxy (<c>49983-&lt;id&gt;.&lt;Domain&gt;</c>), and
    /// the <c>domain</c> the create answer names so SDKs without E2B_SANDBOX_URL build such URLs. Null: header
    /// routing only (the SDK then needs E2B_SANDBOX_URL).</summary>
    public string? Domain { get; set; }

    /// <summary>Lifetime of an E2B sandbox when the create names none, in seconds (E2B's default is 300).</summary>
    public int DefaultTimeoutSeconds { get; set; } = 300;

    /// <summary>Wall-clock limit of one code-interpreter <c>/execute</c> (the SDK sends none; E2B's default is 300 s).
    /// Capped by the node's largest run timeout.</summary>
    public int ExecuteTimeoutMs { get; set; } = 300_000;

    public IEnumerable<string> Validate()
    {
        if (Domain is { } domain && (domain.Length == 0 || domain.StartsWith('.') || domain.Contains('/') || domain.Contains(':')))
        {
            yield return $"{SectionName}:Domain must be a host name such as sandbox.example.com (got '{domain}').";
        }

        if (DefaultTimeoutSeconds < 1)
        {
            yield return $"{SectionName}:DefaultTimeoutSeconds must be at least 1.";
        }

        if (ExecuteTimeoutMs < 1000)
        {
            yield return $"{SectionName}:ExecuteTimeoutMs must be at least 1000.";
        }
    }
}
