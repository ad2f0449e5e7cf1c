namespace SoulBox.Grains.Reaping;

/// <summary>Why a container was removed without its owner asking (the reason tag of soulbox.containers.reaped).</summary>
public static class ReapReason
{
    /// <summary>Its node is dead in this cluster's membership; a surviving worker on the same engine removed it.</summary>
    public const string DeadNode = "dead_node";

    /// <summary>An earlier start of this same node left it.</summary>
    public const string Orphan = "orphan";

    /// <summary>A warm container of an image that was since rebuilt or re-registered under its template's tag.</summary>
    public const string StaleImage = "stale_image";
}
