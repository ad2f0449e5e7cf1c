namespace SoulBox;

/// <summary>Defaults shared by silos and clients so they find each other without configuration.</summary>
public static class SoulBoxCluster
{
    public const string ClusterId = "soulbox";
    public const string ServiceId = "soulbox";
    public const int DefaultSiloPort = 11111;
    public const int DefaultGatewayPort = 30000;
}
