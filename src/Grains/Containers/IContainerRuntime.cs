namespace SoulBox.Grains.Containers;

/// <summary>Creates, inspects and removes sandbox containers on this node's container engine.</summary>
public interface IContainerRuntime
{
    /// <summary>Creates and starts a container with the isolation defaults; returns once it runs
    /// (the agent may still be starting: connect with retries).</summary>
    Task<ContainerHandle> StartAsync(ContainerSpec spec, CancellationToken cancellationToken);

    /// <summary>Force-removes a container and its run directory. Missing containers are not an error.</summary>
    Task RemoveAsync(ContainerHandle container, CancellationToken cancellationToken);

    /// <summary>Changes a running container's memory limit (memory and memory+swap, so no swap either): a one-shot
    /// executor's compile stage runs under its own limit (<see cref="Execution.CompileMemory"/>).</summary>
    Task SetMemoryLimitAsync(ContainerHandle container, long bytes, CancellationToken cancellationToken);

    /// <summary>Whether the kernel's OOM killer has killed a process in the container so far.</summary>
    long ReadOomKillCount(ContainerHandle container);

    /// <summary>Every SoulBox container on this engine (any node's, any cluster's, in any state), with its labels.</summary>
    Task<IReadOnlyList<LabelledContainer>> ListLabelledContainersAsync(CancellationToken cancellationToken);

    /// <summary>Force-removes a container this process may not have started, frees its uid lease (when the lease still
    /// names it) and its run directory; true when this call removed it (false: it was already gone).</summary>
    Task<bool> RemoveLabelledAsync(LabelledContainer container, CancellationToken cancellationToken);

    /// <summary>The engine's ID (<c>docker info</c>): workers with the same one share the engine.</summary>
    Task<string> GetEngineIdAsync(CancellationToken cancellationToken);

    /// <summary>The image id each template's tag points at now.</summary>
    Task<IReadOnlyDictionary<string, string>> ListTemplateImageIdsAsync(CancellationToken cancellationToken);

    /// <summary>Runtime images present on this engine.</summary>
    Task<IReadOnlyList<TemplateInfo>> ListTemplatesAsync(CancellationToken cancellationToken);
}
