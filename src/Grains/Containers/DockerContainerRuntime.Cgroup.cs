using Docker.DotNet;
using Microsoft.Extensions.Logging;

namespace SoulBox.Grains.Containers;

internal sealed partial class DockerContainerRuntime
{
    /// <summary>Finds where the engine put a container's cgroups (its init process's /proc/&lt;pid&gt;/cgroup; else its
    /// cgroup parent and id) so its OOM kills, memory and CPU are read there and not at a guessed default path,
    /// which a container under <see cref="ContainerRuntimeOptions.CgroupParent"/> is not in. One inspect per container
    /// start; a failure only leaves the default places.</summary>
    private async Task TrackCgroupAsync(string containerId, CancellationToken cancellationToken)
    {
        try
        {
            var inspected = await _docker.Containers.InspectContainerAsync(containerId, cancellationToken).ConfigureAwait(false);
            var located = (inspected.State?.Pid is > 0 and var pid ? CgroupLocator.ForProcess((int)pid) : null)
                ?? CgroupLocator.ForParent(inspected.HostConfig?.CgroupParent, containerId);
            ContainerCgroup.Track(containerId, located);
            if (located is null)
            {
                LogCgroupNotFound(containerId[..12], null);
            }
        }
        catch (DockerApiException e)
        {
            LogCgroupNotFound(containerId[..12], e);
        }
    }

    [LoggerMessage(2, LogLevel.Warning, "Could not locate the cgroups of container {ContainerId}; its OOM kills, memory and CPU are read at the engine's default places")]
    private partial void LogCgroupNotFound(string containerId, Exception? exception);
}
