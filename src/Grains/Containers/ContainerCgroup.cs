using System.Collections.Concurrent;

namespace SoulBox.Grains.Containers;

/// <summary>Reads a container's memory cgroup from the host, for OOM kills and usage. Knows the layouts of
/// cgroup v1 and v2 with the cgroupfs and systemd drivers; answers 0 where none is readable.</summary>
internal static class ContainerCgroup
{
    private static readonly string[] MemoryDirectories =
    [
        "/sys/fs/cgroup/memory/docker/{0}",
        "/sys/fs/cgroup/memory/system.slice/docker-{0}.scope",
        "/sys/fs/cgroup/docker/{0}",
        "/sys/fs/cgroup/system.slice/docker-{0}.scope",
    ];

    // The OOM counter is read before and after every run: find its file once per container, not per read.
    private static readonly ConcurrentDictionary<string, string> OomFiles = new();

    public static long ReadOomKills(string containerId)
    {
        if (OomFiles.TryGetValue(containerId, out var known))
        {
            return ReadKeyed(known, "oom_kill") ?? 0;
        }

        foreach (var directory in Candidates(containerId))
        {
            // v2: memory.events "oom_kill N"; v1: memory.oom_control "oom_kill N" (kernels ≥ 4.13).
            foreach (var file in new[] { "memory.events", "memory.oom_control" })
            {
                var path = Path.Combine(directory, file);
                if (ReadKeyed(path, "oom_kill") is { } value)
                {
                    OomFiles[containerId] = path;
                    return value;
                }
            }
        }

        return 0;
    }

    /// <summary>Drops what is remembered about a removed container.</summary>
    public static void Forget(string containerId) => OomFiles.TryRemove(containerId, out _);

    public static long ReadMemoryUsage(string containerId)
    {
        foreach (var directory in Candidates(containerId))
        {
            foreach (var file in new[] { "memory.current", "memory.usage_in_bytes" })
            {
                if (long.TryParse(TryRead(Path.Combine(directory, file))?.Trim(), out var bytes))
                {
                    return bytes;
                }
            }
        }

        return 0;
    }

    /// <summary>CPU time the container has used so far, in seconds (v1 cpuacct.usage, v2 cpu.stat usage_usec).</summary>
    public static double ReadCpuSeconds(string containerId)
    {
        foreach (var pattern in new[] { "/sys/fs/cgroup/cpuacct/docker/{0}", "/sys/fs/cgroup/cpu,cpuacct/docker/{0}", "/sys/fs/cgroup/cpuacct/system.slice/docker-{0}.scope" })
        {
            if (long.TryParse(TryRead(Path.Combine(string.Format(pattern, containerId), "cpuacct.usage"))?.Trim(), out var nanoseconds))
            {
                return nanoseconds / 1e9;
            }
        }

        foreach (var directory in Candidates(containerId))
        {
            if (ReadKeyed(Path.Combine(directory, "cpu.stat"), "usage_usec") is { } microseconds)
            {
                return microseconds / 1e6;
            }
        }

        return 0;
    }

    private static IEnumerable<string> Candidates(string containerId) =>
        MemoryDirectories.Select(pattern => string.Format(pattern, containerId)).Where(Directory.Exists);

    private static long? ReadKeyed(string path, string key)
    {
        var text = TryRead(path);
        if (text is null)
        {
            return null;
        }

        foreach (var line in text.Split('\n'))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && parts[0] == key && long.TryParse(parts[1], out var value))
            {
                return value;
            }
        }

        return null;
    }

    private static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
