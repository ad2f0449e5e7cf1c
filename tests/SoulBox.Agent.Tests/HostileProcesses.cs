namespace SoulBox.Agent.Tests;

/// <summary>Programs that attack the agent's kill and reset, for the tests.</summary>
internal static class HostileProcesses
{
    /// <summary>A process that forks a child and exits, forever, each child in a new session: its pid
    /// changes faster than a /proc scan can follow. One or two processes exist at any moment.</summary>
    public const string ForkChaser = "python3 -c 'import os\nwhile True:\n    if os.fork(): os._exit(0)\n    os.setsid()'";

    /// <summary>Live (non-zombie) processes of a uid, counted once, without waiting.</summary>
    public static int CountLive(int uid)
    {
        var count = 0;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var status = File.ReadAllLines(Path.Combine(directory, "status"));
                var real = status.First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];
                var state = status.First(l => l.StartsWith("State:", StringComparison.Ordinal));
                if (real == uid.ToString() && !state.Contains('Z') && !state.Contains('X'))
                {
                    count++;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
            }
        }

        return count;
    }

    /// <summary>SysV IPC objects (kind = shm, msg or sem) whose owner or creator is the uid.</summary>
    public static int CountIpc(string kind, int uid)
    {
        var lines = File.ReadAllLines($"/proc/sysvipc/{kind}");
        var header = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var uidColumn = Array.IndexOf(header, "uid");
        var cuidColumn = Array.IndexOf(header, "cuid");
        return lines.Skip(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Count(f => f[uidColumn] == uid.ToString() || f[cuidColumn] == uid.ToString());
    }
}
