using System.Collections.Concurrent;
using Docker.DotNet;
using SoulBox.Grains.Containers;

namespace SoulBox.Bench.Measurement;

/// <summary>Where each measured container's cgroups are: asked of the engine (its init process's pid, then
/// /proc/&lt;pid&gt;/cgroup), because a container under a custom cgroup parent (the scale scenario's workers) is not
/// at /sys/fs/cgroup/&lt;controller&gt;/docker/&lt;id&gt; and would read 0. Containers not located yet are read at the
/// engine's default places.</summary>
internal static class ContainerCgroups
{
    private static readonly ConcurrentDictionary<string, CgroupDirectories> Located = new();

    /// <summary>Locates the containers not located yet (one inspect each).</summary>
    public static async Task LocateAsync(DockerClient docker, IEnumerable<string> containerIds, CancellationToken cancellationToken)
    {
        foreach (var id in containerIds.Where(id => id.Length > 0 && !Located.ContainsKey(id)))
        {
            try
            {
                var inspected = await docker.Containers.InspectContainerAsync(id, cancellationToken);
                var found = (inspected.State?.Pid is > 0 and var pid ? CgroupLocator.ForProcess((int)pid) : null)
                    ?? CgroupLocator.ForParent(inspected.HostConfig?.CgroupParent, id);
                if (found is not null)
                {
                    Located[id] = found;
                }
            }
            catch (DockerApiException)
            {
                // Gone already: nothing to read.
            }
        }
    }

    public static IEnumerable<string> MemoryDirectories(string containerId) =>
        Prepend(Located.TryGetValue(containerId, out var found) ? found.Memory : null, CgroupLocator.DefaultCandidates(containerId).Memory);

    public static IEnumerable<string> CpuDirectories(string containerId) =>
        Prepend(Located.TryGetValue(containerId, out var found) ? found.Cpu : null, CgroupLocator.DefaultCandidates(containerId).Cpu);

    private static IEnumerable<string> Prepend(string? first, IEnumerable<string> rest) => first is null ? rest : rest.Prepend(first);
}
