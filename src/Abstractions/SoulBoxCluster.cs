namespace SoulBox;

/// <summary>Defaults shared by silos and clients so they find each other without configuration.</summary>
public static class SoulBoxCluster
{
    public const string ClusterId = "soulbox";
    public const string ServiceId = "soulbox";
    public const int DefaultSiloPort = 11111;
    public const int DefaultGatewayPort = 30000;

    /// <summary>Longest a grain call may take: the longest run (10 min) plus a margin. Silos and clients use it.</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromMinutes(11);
}
