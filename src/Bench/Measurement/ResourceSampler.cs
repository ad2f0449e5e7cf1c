using System.Diagnostics;

namespace SoulBox.Bench.Measurement;

/// <summary>Process CPU and memory sampled during a window (Linux /proc and the memory cgroups of the
/// containers under test). CPU figures are percentages of the whole machine (all cores = 100 %).</summary>
internal sealed record ResourceSummary
{
    public double WindowSeconds { get; init; }
    public double MachineCpuPercent { get; init; }
    public double SiloCpuPercent { get; init; }
    public double EngineCpuPercent { get; init; }
    public double BenchCpuPercent { get; init; }
    /// <summary>CPU of everything inside the sandbox containers (agent, kernels, user code), from their cpuacct cgroups.</summary>
    public double SandboxCpuPercent { get; init; }
    /// <summary>Machine CPU not accounted to the silo, the engine, the sandboxes or the load generator (other work, kernel).</summary>
    public double OtherCpuPercent => Math.Max(0, MachineCpuPercent - SiloCpuPercent - EngineCpuPercent - SandboxCpuPercent - BenchCpuPercent);
    public double SiloRssMeanMb { get; init; }
    public double SiloRssPeakMb { get; init; }
    public double SandboxMemoryMeanMb { get; init; }
    public double SandboxMemoryPeakMb { get; init; }
    public int Containers { get; init; }
    public int Samples { get; init; }

    /// <summary>CPU seconds the silo spent in the window (for per-request CPU in capacity planning).</summary>
    public double SiloCpuSeconds { get; init; }
    public double EngineCpuSeconds { get; init; }
    public double MachineBusyCpuSeconds { get; init; }
    public double SandboxCpuSeconds { get; init; }
    /// <summary>CPU seconds of the bench process (the load generator) in the window.</summary>
    public double BenchCpuSeconds { get; init; }

    public double TotalMemoryPeakMb => SiloRssPeakMb + SandboxMemoryPeakMb;
    public double TotalMemoryMeanMb => SiloRssMeanMb + SandboxMemoryMeanMb;
}

/// <summary>Samples resources every <see cref="Interval"/> between <see cref="Start"/> and <see cref="StopAsync"/>.
/// The "Docker engine" is dockerd + containerd + the containerd shims; sandbox memory is the sum of the
/// containers' cgroup usage minus inactive file cache (what <c>docker stats</c> shows).</summary>
internal sealed class ResourceSampler
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);
    private static readonly string[] EngineNames = ["dockerd", "containerd", "containerd-shim", "containerd-shim-runc-v2"];
    private static readonly double TicksPerSecond = 100; // USER_HZ on every Linux the bench targets

    private readonly int? _siloPid;
    private readonly Func<CancellationToken, Task<IReadOnlyList<string>>> _containerIds;
    private CancellationTokenSource? _cts;
    private Task<ResourceSummary>? _loop;

    public ResourceSampler(int? siloPid, Func<CancellationToken, Task<IReadOnlyList<string>>> containerIds)
    {
        _siloPid = siloPid;
        _containerIds = containerIds;
    }

    public void Start()
    {
        _cts = new CancellationTokenSource();
        _loop = Task.Run(() => LoopAsync(_cts.Token));
    }

    public async Task<ResourceSummary> StopAsync()
    {
        await _cts!.CancelAsync();
        var summary = await _loop!;
        _cts.Dispose();
        return summary;
    }

    /// <summary>One reading of the steady state (no window): silo RSS and sandbox memory now.</summary>
    public async Task<ResourceSummary> SnapshotAsync(CancellationToken cancellationToken)
    {
        var ids = await SafeIdsAsync(cancellationToken);
        var rss = _siloPid is { } pid ? ProcFs.RssBytes(pid) / Mb : 0;
        var sandboxes = ids.Sum(ContainerMemory.WorkingSetBytes) / Mb;
        return new ResourceSummary
        {
            SiloRssMeanMb = rss, SiloRssPeakMb = rss,
            SandboxMemoryMeanMb = sandboxes, SandboxMemoryPeakMb = sandboxes,
            Containers = ids.Count, Samples = 1,
        };
    }

    private const double Mb = 1024 * 1024;

    private async Task<ResourceSummary> LoopAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var machine0 = ProcFs.MachineCpu();
        var silo0 = _siloPid is { } p0 ? ProcFs.CpuTicks(p0) : 0;
        var enginePids = ProcFs.PidsNamed(EngineNames);
        var engine0 = enginePids.ToDictionary(p => p, ProcFs.CpuTicks);
        var bench0 = Process.GetCurrentProcess().TotalProcessorTime;
        IReadOnlyList<string> ids = await SafeIdsAsync(cancellationToken);
        var idsRefreshed = Stopwatch.GetTimestamp();
        var cpuStart = ids.ToDictionary(id => id, ContainerCpu.UsageNanoseconds);
        var cpuLast = new Dictionary<string, long>(cpuStart);
        var rss = new List<double>();
        var sandboxes = new List<double>();
        var containers = ids.Count;

        using var timer = new PeriodicTimer(Interval);
        try
        {
            do
            {
                if (Stopwatch.GetElapsedTime(idsRefreshed) > TimeSpan.FromSeconds(2))
                {
                    ids = await SafeIdsAsync(cancellationToken);
                    idsRefreshed = Stopwatch.GetTimestamp();
                    foreach (var id in ids)
                    {
                        cpuStart.TryAdd(id, 0); // started in the window: all its CPU is the window's
                        cpuLast[id] = ContainerCpu.UsageNanoseconds(id);
                    }

                    foreach (var pid in ProcFs.PidsNamed(EngineNames).Where(pid => !engine0.ContainsKey(pid)))
                    {
                        engine0[pid] = 0; // a shim started in the window: all its CPU is the window's
                    }
                }

                if (_siloPid is { } pid2)
                {
                    rss.Add(ProcFs.RssBytes(pid2) / Mb);
                }

                sandboxes.Add(ids.Sum(ContainerMemory.WorkingSetBytes) / Mb);
                containers = Math.Max(containers, ids.Count);
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException)
        {
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var machine1 = ProcFs.MachineCpu();
        var cores = Environment.ProcessorCount;
        var siloSeconds = _siloPid is { } p1 ? (ProcFs.CpuTicks(p1) - silo0) / TicksPerSecond : 0;
        var engineSeconds = engine0.Sum(e => Math.Max(0, ProcFs.CpuTicks(e.Key) - e.Value)) / TicksPerSecond;
        var benchSeconds = (Process.GetCurrentProcess().TotalProcessorTime - bench0).TotalSeconds;
        foreach (var id in ids)
        {
            cpuStart.TryAdd(id, 0);
            cpuLast[id] = Math.Max(cpuLast.GetValueOrDefault(id), ContainerCpu.UsageNanoseconds(id));
        }

        var sandboxSeconds = cpuLast.Sum(c => Math.Max(0, c.Value - cpuStart.GetValueOrDefault(c.Key))) / 1e9;
        var busy = machine1.Busy - machine0.Busy;
        var total = machine1.Total - machine0.Total;
        return new ResourceSummary
        {
            WindowSeconds = seconds,
            MachineCpuPercent = total == 0 ? 0 : 100.0 * busy / total,
            SiloCpuPercent = 100 * siloSeconds / (seconds * cores),
            EngineCpuPercent = 100 * engineSeconds / (seconds * cores),
            BenchCpuPercent = 100 * benchSeconds / (seconds * cores),
            SandboxCpuPercent = 100 * sandboxSeconds / (seconds * cores),
            SandboxCpuSeconds = sandboxSeconds,
            BenchCpuSeconds = benchSeconds,
            SiloCpuSeconds = siloSeconds,
            EngineCpuSeconds = engineSeconds,
            MachineBusyCpuSeconds = busy / TicksPerSecond,
            SiloRssMeanMb = rss.Count == 0 ? 0 : rss.Average(),
            SiloRssPeakMb = rss.Count == 0 ? 0 : rss.Max(),
            SandboxMemoryMeanMb = sandboxes.Count == 0 ? 0 : sandboxes.Average(),
            SandboxMemoryPeakMb = sandboxes.Count == 0 ? 0 : sandboxes.Max(),
            Containers = containers,
            Samples = sandboxes.Count,
        };
    }

    private async Task<IReadOnlyList<string>> SafeIdsAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _containerIds(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The engine did not answer in time (a Docker client timeout is a TaskCanceledException too; seen on a loaded
            // machine, where it ended the whole run): this sample reads no container memory, the window goes on.
            return [];
        }
    }
}

/// <summary>Reads of /proc (Linux). Missing processes read as zero.</summary>
internal static class ProcFs
{
    public static long CpuTicks(int pid)
    {
        var stat = TryRead($"/proc/{pid}/stat");
        if (stat is null)
        {
            return 0;
        }

        // Fields after the parenthesised command: state is field 3; utime and stime are fields 14 and 15.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11]) + long.Parse(fields[12]);
    }

    public static long RssBytes(int pid)
    {
        foreach (var line in (TryRead($"/proc/{pid}/status") ?? "").Split('\n'))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
            }
        }

        return 0;
    }

    /// <summary>Busy and total jiffies of the whole machine (first line of /proc/stat).</summary>
    public static (long Busy, long Total) MachineCpu()
    {
        var line = (TryRead("/proc/stat") ?? "cpu 0 0 0 0").Split('\n')[0];
        var values = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
        var total = values.Take(8).Sum();
        var idle = values[3] + (values.Length > 4 ? values[4] : 0);
        return (total - idle, total);
    }

    public static IReadOnlyList<int> PidsNamed(IReadOnlyCollection<string> names)
    {
        var pids = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid) && TryRead(Path.Combine(directory, "comm"))?.Trim() is { } comm
                && names.Any(n => comm.StartsWith(n, StringComparison.Ordinal)))
            {
                pids.Add(pid);
            }
        }

        return pids;
    }

    public static long MemTotalBytes()
    {
        foreach (var line in (TryRead("/proc/meminfo") ?? "").Split('\n'))
        {
            if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
            }
        }

        return 0;
    }

    public static string? TryRead(string path)
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

/// <summary>A container's memory working set from its cgroup (v1 or v2), where <see cref="ContainerCgroups"/> found it.</summary>
internal static class ContainerMemory
{
    public static long WorkingSetBytes(string containerId)
    {
        foreach (var directory in ContainerCgroups.MemoryDirectories(containerId))
        {
            var usage = ProcFs.TryRead(Path.Combine(directory, "memory.usage_in_bytes")) ?? ProcFs.TryRead(Path.Combine(directory, "memory.current"));
            if (usage is null || !long.TryParse(usage.Trim(), out var bytes))
            {
                continue;
            }

            var inactive = 0L;
            foreach (var line in (ProcFs.TryRead(Path.Combine(directory, "memory.stat")) ?? "").Split('\n'))
            {
                var parts = line.Split(' ');
                if (parts.Length == 2 && parts[0] is "total_inactive_file" or "inactive_file")
                {
                    inactive = long.Parse(parts[1]);
                    break;
                }
            }

            return Math.Max(0, bytes - inactive);
        }

        return 0;
    }
}

/// <summary>A container's CPU time from its cpuacct cgroup (v1) or cpu.stat (v2); 0 when unreadable.</summary>
internal static class ContainerCpu
{
    public static long UsageNanoseconds(string containerId)
    {
        foreach (var directory in ContainerCgroups.CpuDirectories(containerId))
        {
            if (CgroupCpu.UsageNanoseconds(directory) is { } ns)
            {
                return ns;
            }
        }

        return 0;
    }
}

/// <summary>CPU time of everything in one cgroup directory: v1 cpuacct.usage (ns) or v2 cpu.stat usage_usec.</summary>
internal static class CgroupCpu
{
    public static long? UsageNanoseconds(string directory)
    {
        if (long.TryParse(ProcFs.TryRead(Path.Combine(directory, "cpuacct.usage"))?.Trim(), out var ns))
        {
            return ns;
        }

        foreach (var line in (ProcFs.TryRead(Path.Combine(directory, "cpu.stat")) ?? "").Split('\n'))
        {
            if (line.StartsWith("usage_usec ", StringComparison.Ordinal) && long.TryParse(line[11..], out var us))
            {
                return us * 1000;
            }
        }

        return null;
    }
}
