using System.Globalization;
using SoulBox.Bench.Measurement;
using SoulBox.Grains.Containers;

namespace SoulBox.Bench.Scale;

/// <summary>One worker's sandbox budget: a parent cgroup with a CPU quota that all of that worker's containers are
/// started under (<c>SoulBox:Docker:CgroupParent</c>), created before the worker starts and removed after it stopped.
/// cgroup v1 (cgroupfs driver): <c>cpu.cfs_quota_us</c>/<c>cpu.cfs_period_us</c> under the cpu hierarchy; v2:
/// <c>cpu.max</c>. Its cpuacct (v1) or cpu.stat (v2) counts the CPU of every container under it, and cpu.stat's
/// throttling counters say whether the quota was the limit.</summary>
internal sealed class ParentCgroup : IDisposable
{
    private const long PeriodMicroseconds = 100_000;
    private readonly string _mountInfo;

    private ParentCgroup(string name, double cpus, string mountInfo)
    {
        Name = name;
        Cpus = cpus;
        _mountInfo = mountInfo;
    }

    /// <summary>The value for SoulBox:Docker:CgroupParent ("/name").</summary>
    public string Path => "/" + Name;
    public string Name { get; }
    public double Cpus { get; }

    private string? CpuDirectory => CgroupLocator.MountPointOf("cpu", _mountInfo) is { } m ? System.IO.Path.Combine(m, Name) : null;
    private string? CpuAccountingDirectory => CgroupLocator.MountPointOf("cpuacct", _mountInfo) is { } m ? System.IO.Path.Combine(m, Name) : null;

    public static ParentCgroup Create(string name, double cpus)
    {
        var mountInfo = File.ReadAllText("/proc/self/mountinfo");
        var cgroup = new ParentCgroup(name, cpus, mountInfo);
        var cpu = cgroup.CpuDirectory ?? throw new InvalidOperationException("no cgroup hierarchy with the cpu controller is mounted");
        try
        {
            Directory.CreateDirectory(cpu);
            var quota = (long)Math.Round(cpus * PeriodMicroseconds);
            if (CgroupLocator.HasV1(mountInfo))
            {
                File.WriteAllText(System.IO.Path.Combine(cpu, "cpu.cfs_period_us"), PeriodMicroseconds.ToString(CultureInfo.InvariantCulture));
                File.WriteAllText(System.IO.Path.Combine(cpu, "cpu.cfs_quota_us"), quota.ToString(CultureInfo.InvariantCulture));
                Directory.CreateDirectory(cgroup.CpuAccountingDirectory!);
            }
            else
            {
                // v2: the cpu controller must be enabled for the root's children before cpu.max exists.
                File.WriteAllText(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(cpu)!, "cgroup.subtree_control"), "+cpu");
                File.WriteAllText(System.IO.Path.Combine(cpu, "cpu.max"), $"{quota} {PeriodMicroseconds}");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            cgroup.Dispose();
            throw new InvalidOperationException($"could not create the parent cgroup {cpu} with a CPU quota (the scale scenario runs as root on a cgroupfs-driver engine): {e.Message}", e);
        }

        return cgroup;
    }

    /// <summary>CPU time of every container under this parent so far (ns).</summary>
    public long UsageNanoseconds() =>
        (CpuAccountingDirectory is { } directory ? CgroupCpu.UsageNanoseconds(directory) : null) ?? 0;

    /// <summary>Periods elapsed, periods in which the quota ran out, and time throttled (ns) so far.</summary>
    public (long Periods, long Throttled, long ThrottledNanoseconds) Throttling()
    {
        long periods = 0, throttled = 0, time = 0;
        foreach (var line in (ProcFs.TryRead(System.IO.Path.Combine(CpuDirectory ?? "", "cpu.stat")) ?? "").Split('\n'))
        {
            var parts = line.Split(' ');
            if (parts.Length == 2 && long.TryParse(parts[1], out var value))
            {
                switch (parts[0])
                {
                    case "nr_periods": periods = value; break;
                    case "nr_throttled": throttled = value; break;
                    case "throttled_time": time = value; break;        // v1, ns
                    case "throttled_usec": time = value * 1000; break; // v2
                }
            }
        }

        return (periods, throttled, time);
    }

    /// <summary>Removes the parent from every hierarchy (the engine created it in each); the worker's containers must be
    /// gone. Retries a little: a removed container's cgroup can outlive its removal by a moment.</summary>
    public void Dispose()
    {
        foreach (var mount in CgroupLocator.MountPoints(_mountInfo))
        {
            var directory = System.IO.Path.Combine(mount, Name);
            for (var attempt = 0; attempt < 50 && Directory.Exists(directory); attempt++)
            {
                try
                {
                    Directory.Delete(directory);
                }
                catch (IOException)
                {
                    Thread.Sleep(100);
                }
            }
        }
    }

    /// <summary>Directories of this parent still present (a container left under it); empty after a clean dispose.</summary>
    public IReadOnlyList<string> Leftovers() =>
        [.. CgroupLocator.MountPoints(_mountInfo).Select(m => System.IO.Path.Combine(m, Name)).Where(Directory.Exists)];
}
