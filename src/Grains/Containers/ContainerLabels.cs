namespace SoulBox.Grains.Containers;

/// <summary>Labels on every sandbox container beyond its node's (<see cref="DockerContainerRuntime.NodeLabel"/>): what a
/// worker needs to decide, from the engine alone, whose container it is and whether it may remove it.</summary>
public static class ContainerLabels
{
    /// <summary>The Orleans ClusterId of the silo that created it: a worker never touches another cluster's containers.</summary>
    public const string Cluster = "soulbox.cluster";

    /// <summary>The creating silo's incarnation (its SiloAddress, with the generation that changes at every start):
    /// a restarted node reuses its name, so only this tells its old containers from its new ones.</summary>
    public const string Silo = "soulbox.silo";

    /// <summary>The Docker engine's ID (<c>docker info</c>): which workers share the engine it runs on.</summary>
    public const string Engine = "soulbox.engine";

    /// <summary>The image id it was created from: a rebuilt image under the same tag makes warm containers stale.</summary>
    public const string Image = "soulbox.image";

    /// <summary>The uid its user code runs as: whoever removes it frees that uid's lease.</summary>
    public const string Uid = "soulbox.uid";

    /// <summary>"sha256:0123456789ab…" → "0123456789ab", the form operators see in <c>docker images</c> (metric tag).</summary>
    public static string ShortImageId(string imageId)
    {
        var hex = imageId.StartsWith("sha256:", StringComparison.Ordinal) ? imageId["sha256:".Length..] : imageId;
        return hex.Length > 12 ? hex[..12] : hex;
    }
}
