namespace SoulBox.Grains.Containers;

/// <summary>A started container: its id, the host path of its agent socket, and the image's environment
/// (the agent starts processes with a clean environment, so the grain passes the image's on).</summary>
public sealed record ContainerHandle(string Id, string Name, string Template, string SocketPath, string RunDirectory, IReadOnlyDictionary<string, string> ImageEnv)
{
    /// <summary>The image id the container was created from (sha256:…); empty when not known.</summary>
    public string ImageId { get; init; } = "";
}
