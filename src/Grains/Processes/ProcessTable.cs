namespace SoulBox.Grains.Processes;

/// <summary>The background processes of one sandbox: those running (by pid once known), how many are starting, and
/// the recent exits an attach may still ask about (bounded in number and age). Thread-safe.</summary>
internal sealed class ProcessTable(ProcessOptions options, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<int, BackgroundProcess> _running = [];
    private readonly LinkedList<(BackgroundProcess Process, DateTimeOffset EndedAt)> _recent = [];
    private int _count;

    /// <summary>Processes starting or running.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>Takes a place for a new process, or throws too_many_processes.</summary>
    public void Reserve(string sandboxId)
    {
        lock (_lock)
        {
            if (_count >= options.MaxProcessesPerSandbox)
            {
                throw new SoulBoxException(ErrorCodes.TooManyProcesses,
                    $"Sandbox '{sandboxId}' already runs {options.MaxProcessesPerSandbox} background processes (SoulBox:Processes:MaxProcessesPerSandbox); wait for one to end or kill one.");
            }

            _count++;
        }
    }

    /// <summary>The process reported its pid: it can be found from now on. A recent exit with the same pid (reused)
    /// is forgotten.</summary>
    public void Register(BackgroundProcess process)
    {
        lock (_lock)
        {
            _running[process.Pid] = process;
            for (var node = _recent.First; node is not null; node = node.Next)
            {
                if (node.Value.Process.Pid == process.Pid)
                {
                    _recent.Remove(node);
                    break;
                }
            }
        }
    }

    /// <summary>The process ended (or failed): it gives its place back and is remembered as a recent exit.</summary>
    public void Ended(BackgroundProcess process, ProcessExit? exit, Exception? failure)
    {
        lock (_lock)
        {
            _count--;
            if (process.Pid > 0 && _running.TryGetValue(process.Pid, out var current) && ReferenceEquals(current, process))
            {
                _running.Remove(process.Pid);
                if (exit is not null && options.MaxRecentExits > 0)
                {
                    _recent.AddLast((process, time.GetUtcNow()));
                    while (_recent.Count > options.MaxRecentExits)
                    {
                        _recent.RemoveFirst();
                    }
                }
            }

            // Under the table's lock: an attach that found the process running attaches before the exit fans out, one
            // that comes after finds it among the recent exits.
            if (exit is not null)
            {
                process.OnExit(exit);
            }
            else
            {
                process.OnFailed(failure ?? new SoulBoxException(ErrorCodes.Internal, "The process's exec failed."));
            }
        }
    }

    /// <summary>The running process with the pid, or null.</summary>
    public BackgroundProcess? Running(int pid)
    {
        lock (_lock)
        {
            return _running.GetValueOrDefault(pid);
        }
    }

    /// <summary>The process with the pid, running or recently ended, or null.</summary>
    public BackgroundProcess? Find(int pid)
    {
        lock (_lock)
        {
            if (_running.TryGetValue(pid, out var running))
            {
                return running;
            }

            var oldest = time.GetUtcNow() - TimeSpan.FromMilliseconds(options.RecentExitRetentionMs);
            while (_recent.First is { } first && first.Value.EndedAt < oldest)
            {
                _recent.RemoveFirst();
            }

            for (var node = _recent.Last; node is not null; node = node.Previous)
            {
                if (node.Value.Process.Pid == pid)
                {
                    return node.Value.Process;
                }
            }

            return null;
        }
    }

    /// <summary>The running processes, oldest first.</summary>
    public ProcessInfo[] List()
    {
        lock (_lock)
        {
            return [.. _running.Values.Select(p => p.Info).OrderBy(i => i.StartedAt).ThenBy(i => i.Pid)];
        }
    }
}
