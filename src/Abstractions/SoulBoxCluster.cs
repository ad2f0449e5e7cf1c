namespace SoulBox;

/// <summary>Defaults shared by silos and clients so they find each other without configuration.</summary>
public static class SoulBoxCluster
{
    /// <summary>Orleans cluster id of a SoulBox cluster.</summary>
    public const string ClusterId = "soulbox";
    /// <summary>Orleans service id of SoulBox.</summary>
    public const string ServiceId = "soulbox";
    /// <summary>Default silo-to-silo port.</summary>
    public const int DefaultSiloPort = 11111;
    /// <summary>Default Orleans gateway port (the one .NET clients connect to).</summary>
    public const int DefaultGatewayPort = 30000;

    /// <summary>Longest a grain call may take: the longest run (10 min) plus a margin. Silos and clients use it.</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromMinutes(11);
}
