namespace SoulBox.Grains.Containers;

/// <summary>Creates, inspects and removes sandbox containers on this node's container engine.</summary>
public interface IContainerRuntime
{
    /// <summary>Creates and starts a container with the isolation defaults; returns once it runs
    /// (the agent may still be starting: connect with retries).</summary>
    Task<ContainerHandle> StartAsync(ContainerSpec spec, CancellationToken cancellationToken);

    /// <summary>Force-removes a container and its run directory. Missing containers are not an error.</summary>
    Task RemoveAsync(ContainerHandle container, CancellationToken cancellationToken);

    /// <summary>Whether the kernel's OOM killer has killed a process in the container so far.</summary>
    long ReadOomKillCount(ContainerHandle container);

    /// <summary>Removes every container labelled with this node (left by an earlier run); returns how many.</summary>
    Task<int> RemoveOrphansAsync(CancellationToken cancellationToken);

    /// <summary>Runtime images present on this engine.</summary>
    Task<IReadOnlyList<TemplateInfo>> ListTemplatesAsync(CancellationToken cancellationToken);
}
