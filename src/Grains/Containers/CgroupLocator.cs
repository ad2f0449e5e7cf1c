namespace SoulBox.Grains.Containers;

/// <summary>Where a container's memory and CPU-accounting cgroups are on this host. <see cref="Cpu"/> holds
/// cpuacct.usage (cgroup v1) or cpu.stat (v2); <see cref="Memory"/> memory.usage_in_bytes / memory.oom_control (v1)
/// or memory.current / memory.events (v2). Null when not found.</summary>
internal sealed record CgroupDirectories(string? Memory, string? Cpu);

/// <summary>Finds a container's cgroup directories. The engine decides where a container's cgroup lives (the
/// cgroup driver, the daemon's default parent, a per-container <c>CgroupParent</c>), so the dependable source is
/// the kernel's own answer for the container's init process: <c>/proc/&lt;pid&gt;/cgroup</c>, mapped onto the
/// hierarchies mounted here (<c>/proc/self/mountinfo</c>). Guessing <c>/sys/fs/cgroup/memory/docker/&lt;id&gt;</c> reads
/// nothing for a container under another parent, and its OOM kills and CPU then silently read 0.</summary>
/// <remarks>Also compiled into SoulBox.Bench (linked source): the bench measures the same containers.</remarks>
internal static class CgroupLocator
{
    private const string CgroupRoot = "/sys/fs/cgroup";

    /// <summary>The directories of a running process's cgroups; null when its /proc entry is gone or unreadable.</summary>
    public static CgroupDirectories? ForProcess(int pid)
    {
        var cgroup = TryRead($"/proc/{pid}/cgroup");
        var mounts = TryRead("/proc/self/mountinfo");
        if (cgroup is null || mounts is null)
        {
            return null;
        }

        var located = Parse(cgroup, mounts);
        return located.Memory is null && located.Cpu is null ? null : located;
    }

    /// <summary>Maps <c>/proc/&lt;pid&gt;/cgroup</c> onto the mounts in <c>mountinfo</c>. A v1 hierarchy (memory,
    /// cpuacct) wins over the v2 unified one on hybrid hosts: there the v2 tree holds no controllers' figures.</summary>
    public static CgroupDirectories Parse(string procCgroup, string mountInfo)
    {
        var mounts = Mounts(mountInfo);
        string? memory = null, cpu = null, unified = null;
        foreach (var line in procCgroup.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // hierarchy-id:controller-list:path; the path itself may contain ':'.
            var parts = line.Split(':', 3);
            if (parts.Length != 3)
            {
                continue;
            }

            var (controllers, path) = (parts[1], parts[2]);
            if (parts[0] == "0" && controllers.Length == 0)
            {
                unified = Resolve(mounts.FirstOrDefault(m => m.Unified), path);
                continue;
            }

            var list = controllers.Split(',');
            var mount = mounts.FirstOrDefault(m => !m.Unified && list.All(m.Controllers.Contains));
            if (list.Contains("memory"))
            {
                memory = Resolve(mount, path);
            }

            if (list.Contains("cpuacct"))
            {
                cpu = Resolve(mount, path);
            }
        }

        return new CgroupDirectories(memory ?? unified, cpu ?? unified);
    }

    /// <summary>Where the engine puts a container under <paramref name="cgroupParent"/> when its init process cannot be
    /// read (it already exited): cgroupfs driver <c>&lt;parent&gt;/&lt;id&gt;</c>, systemd driver
    /// <c>&lt;slice path&gt;/docker-&lt;id&gt;.scope</c>. Null without a parent (the defaults are <see cref="DefaultCandidates"/>).</summary>
    public static CgroupDirectories? ForParent(string? cgroupParent, string containerId, string mountInfo)
    {
        if (string.IsNullOrWhiteSpace(cgroupParent))
        {
            return null;
        }

        var path = cgroupParent.EndsWith(".slice", StringComparison.Ordinal)
            ? $"{SlicePath(cgroupParent)}/docker-{containerId}.scope"
            : $"/{cgroupParent.Trim('/')}/{containerId}";
        var mounts = Mounts(mountInfo);
        var memoryMount = mounts.FirstOrDefault(m => m.Controllers.Contains("memory"));
        var cpuMount = mounts.FirstOrDefault(m => m.Controllers.Contains("cpuacct"));
        var unified = mounts.FirstOrDefault(m => m.Unified);
        return new CgroupDirectories(Resolve(memoryMount ?? unified, path), Resolve(cpuMount ?? unified, path));
    }

    /// <summary><see cref="ForParent(string?, string, string)"/> against this host's mounts.</summary>
    public static CgroupDirectories? ForParent(string? cgroupParent, string containerId) =>
        TryRead("/proc/self/mountinfo") is { } mounts ? ForParent(cgroupParent, containerId, mounts) : null;

    /// <summary>The engine's default places (cgroup v1 and v2, cgroupfs and systemd drivers): the last resort for a
    /// container this process did not locate (one started by an earlier process).</summary>
    public static (string[] Memory, string[] Cpu) DefaultCandidates(string containerId) =>
    (
        [
            $"{CgroupRoot}/memory/docker/{containerId}",
            $"{CgroupRoot}/memory/system.slice/docker-{containerId}.scope",
            $"{CgroupRoot}/docker/{containerId}",
            $"{CgroupRoot}/system.slice/docker-{containerId}.scope",
        ],
        [
            $"{CgroupRoot}/cpuacct/docker/{containerId}",
            $"{CgroupRoot}/cpu,cpuacct/docker/{containerId}",
            $"{CgroupRoot}/cpuacct/system.slice/docker-{containerId}.scope",
            $"{CgroupRoot}/docker/{containerId}",
            $"{CgroupRoot}/system.slice/docker-{containerId}.scope",
        ]
    );

    /// <summary>Mount point of the cgroup v1 hierarchy holding <paramref name="controller"/> ("cpu", "memory"...), else of
    /// the v2 tree (which holds every controller); null when neither is mounted.</summary>
    public static string? MountPointOf(string controller, string mountInfo)
    {
        var mounts = Mounts(mountInfo);
        return (mounts.FirstOrDefault(m => !m.Unified && m.Controllers.Contains(controller)) ?? mounts.FirstOrDefault(m => m.Unified))?.MountPoint;
    }

    /// <summary>Every cgroup hierarchy mounted here (v1 ones and the v2 tree): where an engine creating a parent cgroup
    /// for its containers leaves a directory of that name.</summary>
    public static IReadOnlyList<string> MountPoints(string mountInfo) => [.. Mounts(mountInfo).Select(m => m.MountPoint).Distinct()];

    /// <summary>Whether <paramref name="mountInfo"/> mounts cgroup v1 hierarchies (else the tree is v2 only).</summary>
    public static bool HasV1(string mountInfo) => Mounts(mountInfo).Any(m => !m.Unified);

    /// <summary>systemd nests "a-b-c.slice" as a.slice/a-b.slice/a-b-c.slice.</summary>
    private static string SlicePath(string slice)
    {
        var name = slice[..^".slice".Length];
        var parts = name.Split('-');
        var path = "";
        for (var i = 1; i <= parts.Length; i++)
        {
            path += "/" + string.Join('-', parts[..i]) + ".slice";
        }

        return path;
    }

    private sealed record Mount(string Root, string MountPoint, string[] Controllers, bool Unified);

    private static List<Mount> Mounts(string mountInfo)
    {
        var mounts = new List<Mount>();
        foreach (var line in mountInfo.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // id parent major:minor root mount-point options [optional...] - fstype source super-options
            var separator = line.IndexOf(" - ", StringComparison.Ordinal);
            if (separator < 0)
            {
                continue;
            }

            var left = line[..separator].Split(' ');
            var right = line[(separator + 3)..].Split(' ');
            if (left.Length < 5 || right.Length < 3)
            {
                continue;
            }

            if (right[0] == "cgroup2")
            {
                mounts.Add(new Mount(Unescape(left[3]), Unescape(left[4]), [], true));
            }
            else if (right[0] == "cgroup")
            {
                mounts.Add(new Mount(Unescape(left[3]), Unescape(left[4]), right[2].Split(','), false));
            }
        }

        return mounts;
    }

    /// <summary>The directory of <paramref name="path"/> (relative to the hierarchy's root) under a mount of it, or null
    /// when the mount shows another part of the hierarchy (a cgroup namespace) that does not hold the path.</summary>
    private static string? Resolve(Mount? mount, string path)
    {
        if (mount is null || !path.StartsWith('/'))
        {
            return null;
        }

        if (mount.Root != "/")
        {
            if (!path.StartsWith(mount.Root, StringComparison.Ordinal))
            {
                return null;
            }

            path = path[mount.Root.Length..];
        }

        return path is "" or "/" ? mount.MountPoint : mount.MountPoint.TrimEnd('/') + path;
    }

    /// <summary>mountinfo escapes space, tab, newline and backslash as octal (\040...).</summary>
    private static string Unescape(string field) =>
        field.Contains('\\') ? System.Text.RegularExpressions.Regex.Replace(field, @"\\([0-7]{3})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString()) : field;

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
