using System.Collections.Concurrent;

namespace SoulBox.Grains.Containers;

/// <summary>Reads a container's cgroups from the host, for OOM kills, memory and CPU. A container this process
/// started is read where the kernel says its cgroups are (<see cref="Track"/>, from <see cref="CgroupLocator"/>),
/// whatever its cgroup parent; others at the engine's default places for cgroup v1 and v2 with the cgroupfs and
/// systemd drivers. Answers 0 where none is readable.</summary>
internal static class ContainerCgroup
{
    // Where each container started here was found (its init process's /proc/<pid>/cgroup, read at start).
    private static readonly ConcurrentDictionary<string, CgroupDirectories> Located = new();

    // The OOM counter is read before and after every run: find its file once per container, not per read.
    private static readonly ConcurrentDictionary<string, string> OomFiles = new();

    /// <summary>Remembers where a started container's cgroups are; null (not found) leaves the default places.</summary>
    public static void Track(string containerId, CgroupDirectories? directories)
    {
        if (directories is not null)
        {
            Located[containerId] = directories;
        }
    }

    /// <summary>The directories reads of this container try, the located ones first.</summary>
    public static (IReadOnlyList<string> Memory, IReadOnlyList<string> Cpu) Candidates(string containerId)
    {
        var (memory, cpu) = CgroupLocator.DefaultCandidates(containerId);
        return Located.TryGetValue(containerId, out var found)
            ? ([.. Prepend(found.Memory, memory)], [.. Prepend(found.Cpu, cpu)])
            : (memory, cpu);
    }

    public static long ReadOomKills(string containerId)
    {
        if (OomFiles.TryGetValue(containerId, out var known))
        {
            return ReadKeyed(known, "oom_kill") ?? 0;
        }

        foreach (var directory in Candidates(containerId).Memory.Where(Directory.Exists))
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
    public static void Forget(string containerId)
    {
        OomFiles.TryRemove(containerId, out _);
        Located.TryRemove(containerId, out _);
    }

    public static long ReadMemoryUsage(string containerId)
    {
        foreach (var directory in Candidates(containerId).Memory)
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
        foreach (var directory in Candidates(containerId).Cpu)
        {
            if (long.TryParse(TryRead(Path.Combine(directory, "cpuacct.usage"))?.Trim(), out var nanoseconds))
            {
                return nanoseconds / 1e9;
            }

            if (ReadKeyed(Path.Combine(directory, "cpu.stat"), "usage_usec") is { } microseconds)
            {
                return microseconds / 1e6;
            }
        }

        return 0;
    }

    private static IEnumerable<string> Prepend(string? first, IEnumerable<string> rest) =>
        first is null ? rest : rest.Prepend(first);

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
