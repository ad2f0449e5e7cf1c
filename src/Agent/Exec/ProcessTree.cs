namespace SoulBox.Agent.Exec;

/// <summary>Finds and SIGKILLs process trees by walking /proc. Signals alone are not enough: a tree
/// can fork while it is being killed and a child can leave its process group, so every kill repeats
/// until a fresh scan finds nothing left. A tree that forks faster than the scan can still outrun
/// this; one-shot executors kill with soulbox-exec killuser instead (see Worker/RunKiller.cs).</summary>
internal static class ProcessTree
{
    private const int MaxRounds = 200;

    private readonly record struct ProcStat(int Pid, int ParentPid, int GroupId, int SessionId, char State);

    /// <summary>Kills every descendant of <paramref name="rootPid"/> (not the root itself: that is the
    /// soulbox-exec helper, which must live to report) and every process in session or group
    /// <paramref name="sessionId"/> (0 = unknown).</summary>
    public static async Task KillTreeAsync(int rootPid, int sessionId)
    {
        for (var round = 0; round < MaxRounds; round++)
        {
            if (sessionId > 0)
            {
                Libc.Kill(-sessionId, Libc.SIGKILL);
            }

            var victims = FindTree(rootPid, sessionId);
            if (victims.Count == 0)
            {
                return;
            }

            foreach (var pid in victims)
            {
                Libc.Kill(pid, Libc.SIGKILL);
            }

            await Task.Delay(round < 10 ? 1 : 10).ConfigureAwait(false);
        }
    }

    private static List<int> FindTree(int rootPid, int sessionId)
    {
        var all = ReadAll();
        var children = all.ToLookup(p => p.ParentPid, p => p.Pid);
        var found = new HashSet<int>();
        var queue = new Queue<int>();
        queue.Enqueue(rootPid);
        while (queue.Count > 0)
        {
            foreach (var child in children[queue.Dequeue()])
            {
                if (found.Add(child))
                {
                    queue.Enqueue(child);
                }
            }
        }

        if (sessionId > 0)
        {
            found.UnionWith(all.Where(p => p.SessionId == sessionId || p.GroupId == sessionId).Select(p => p.Pid));
        }

        // Zombies are already dead and only wait to be reaped; killing them again would loop forever.
        var zombies = all.Where(p => p.State is 'Z' or 'X').Select(p => p.Pid).ToHashSet();
        found.RemoveWhere(pid => pid == rootPid || zombies.Contains(pid) || pid == Environment.ProcessId);
        return found.ToList();
    }

    private static List<ProcStat> ReadAll()
    {
        var result = new List<ProcStat>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            if (StatFields(pid) is { Length: >= 4 } fields && fields[0].Length > 0
                && int.TryParse(fields[1], out var parent) && int.TryParse(fields[2], out var group) && int.TryParse(fields[3], out var session))
            {
                result.Add(new ProcStat(pid, parent, group, session, fields[0][0]));
            }
        }

        return result;
    }

    /// <summary>The fields of /proc/<paramref name="pid"/>/stat after the command name ("state ppid pgrp session tty
    /// tpgid flags ..."), or null when the process is gone. The name may hold spaces and parentheses, so the fields
    /// start after the last ')'.</summary>
    public static string[]? StatFields(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var close = text.LastIndexOf(')');
            return close > 0 && close + 2 < text.Length ? text[(close + 2)..].Split(' ') : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
