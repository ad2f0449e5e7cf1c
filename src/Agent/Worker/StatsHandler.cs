using SoulBox.Agent.Protocol;

namespace SoulBox.Agent.Worker;

/// <summary>Resource usage of the whole container from its cgroup (v2, with v1 fallbacks);
/// a figure that cannot be read is reported as zero.</summary>
internal sealed class StatsHandler
{
    private const string Root = "/sys/fs/cgroup";

    public async Task StatsAsync(IEventSink sink)
    {
        var memory = ReadLong($"{Root}/memory.current") ?? ReadLong($"{Root}/memory/memory.usage_in_bytes") ?? 0;
        var peak = ReadLong($"{Root}/memory.peak") ?? ReadLong($"{Root}/memory/memory.max_usage_in_bytes") ?? 0;
        var cpuMs = ReadCpuUsageUsec() is { } usec
            ? usec / 1000.0
            : (ReadLong($"{Root}/cpuacct/cpuacct.usage") ?? ReadLong($"{Root}/cpu,cpuacct/cpuacct.usage") ?? 0) / 1_000_000.0;
        var processes = ReadLong($"{Root}/pids.current") ?? ReadLong($"{Root}/pids/pids.current") ?? 0;
        await sink.SendAsync(new StatsEvent(memory, peak, cpuMs, (int)processes)).ConfigureAwait(false);
    }

    private static long? ReadCpuUsageUsec()
    {
        try
        {
            foreach (var line in File.ReadLines($"{Root}/cpu.stat"))
            {
                if (line.StartsWith("usage_usec ", StringComparison.Ordinal) && long.TryParse(line.AsSpan(11), out var usec))
                {
                    return usec;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }

    private static long? ReadLong(string path)
    {
        try
        {
            return long.TryParse(File.ReadAllText(path).Trim(), out var value) ? value : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
