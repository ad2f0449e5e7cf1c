namespace SoulBox.Silo.Hosting;

/// <summary>What this process is in the cluster (configuration section "SoulBox").</summary>
public sealed class SoulBoxNodeOptions
{
    public const string SectionName = "SoulBox";

    /// <summary>Section of this silo's TLS settings (<see cref="SoulBox.Security.ClusterTlsOptions"/>).</summary>
    public const string TlsSectionName = "SoulBox:Tls";

    /// <summary>"both" (default: a single node), "worker" (hosts sandboxes, needs Docker) or "gateway" (HTTP only).</summary>
    public string Role { get; set; } = "both";

    /// <summary>Name of this node; prefixes its sandbox ids. Default: the host name (letters, digits, '-', '_').</summary>
    public string? NodeName { get; set; }

    /// <summary>Redis connection string: set it to cluster several hosts (Redis membership). Default: none,
    /// a single node with localhost clustering.</summary>
    public string? Redis { get; set; }

    /// <summary>Orleans ClusterId: silos (and clients) with the same Redis and ClusterId form one cluster, and its
    /// containers carry it as the soulbox.cluster label, so two clusters sharing a Docker host or a Redis never touch
    /// each other's. Default "soulbox".</summary>
    public string ClusterId { get; set; } = SoulBoxCluster.ClusterId;

    /// <summary>Orleans silo-to-silo port. Default 11111.</summary>
    public int SiloPort { get; set; } = SoulBoxCluster.DefaultSiloPort;

    /// <summary>Orleans client gateway port. Default 30000.</summary>
    public int GatewayPort { get; set; } = SoulBoxCluster.DefaultGatewayPort;

    /// <summary>Address other silos reach this one at (Redis clustering). Default 127.0.0.1.</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>Run a short demo (a sandbox per template) once the node is up, and print it. Default false.</summary>
    public bool Demo { get; set; }

    public bool IsWorker => Role is "both" or "worker";

    public bool IsGateway => Role is "both" or "gateway";

    public string ResolvedNodeName => NodeName ?? new string([.. Environment.MachineName.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-')]);

    public IEnumerable<string> Validate()
    {
        if (Role is not ("both" or "worker" or "gateway")) yield return $"SoulBox:Role must be both, worker or gateway; got '{Role}'.";
        if (!SandboxIds.IsValidNodeName(ResolvedNodeName)) yield return $"SoulBox:NodeName '{ResolvedNodeName}' must be 1-64 letters, digits, '-' or '_'.";
        if (string.IsNullOrWhiteSpace(ClusterId) || ClusterId.Length > 64 || !ClusterId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) yield return $"SoulBox:ClusterId '{ClusterId}' must be 1-64 letters, digits, '-', '_' or '.'.";
        if (SiloPort is <= 0 or > 65535) yield return "SoulBox:SiloPort must be a TCP port.";
        if (GatewayPort is <= 0 or > 65535) yield return "SoulBox:GatewayPort must be a TCP port.";
        if (!System.Net.IPAddress.TryParse(AdvertisedAddress, out _)) yield return $"SoulBox:AdvertisedAddress '{AdvertisedAddress}' is not an IP address.";
    }
}
