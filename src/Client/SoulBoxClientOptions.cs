using SoulBox.Security;

namespace SoulBox.Client;

/// <summary>How a client finds the cluster (configuration section "SoulBox:Client").</summary>
public sealed class SoulBoxClientOptions
{
    /// <summary>The configuration section the options bind from.</summary>
    public const string SectionName = "SoulBox:Client";

    /// <summary>Redis connection string of a multi-host cluster; null connects to a local single node.</summary>
    public string? Redis { get; set; }

    /// <summary>Orleans gateway port of the local node when Redis is not set. Default 30000.</summary>
    public int GatewayPort { get; set; } = SoulBoxCluster.DefaultGatewayPort;

    /// <summary>Orleans cluster id of the SoulBox cluster. Default "soulbox".</summary>
    public string ClusterId { get; set; } = SoulBoxCluster.ClusterId;

    /// <summary>Orleans service id. Default "soulbox".</summary>
    public string ServiceId { get; set; } = SoulBoxCluster.ServiceId;

    /// <summary>Tenant this app's one-shot executions count against: each node shares its execution slots fairly
    /// between tenants, so apps that should not hold each other up use different names. A .NET client talks to
    /// the cluster directly (no API key), so the name is the app's own choice. Default "dotnet-client".</summary>
    public string Tenant { get; set; } = DefaultTenant;

    /// <summary>The default <see cref="Tenant"/>.</summary>
    public const string DefaultTenant = "dotnet-client";

    /// <summary>TLS to the silos' gateway ports ("SoulBox:Client:Tls"): the client's certificate and how to check the
    /// silo's. Needed when the silos set SoulBox:Tls. Default: off (plain TCP).</summary>
    public ClusterTlsOptions Tls { get; set; } = new();
}
