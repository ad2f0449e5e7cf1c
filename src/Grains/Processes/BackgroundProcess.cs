namespace SoulBox.Grains.Processes;

/// <summary>One background process of a sandbox: one long-lived agent exec whose events a pump (see
/// <see cref="ProcessPump"/>) hands to <see cref="OnStarted"/>, <see cref="OnOutput"/> and <see cref="OnExit"/> as they
/// arrive, fanned out to the callers attached at that moment. Output with nobody attached is dropped. Thread-safe:
/// the pump runs on the thread pool, the grain's calls on its activation.</summary>
internal sealed class BackgroundProcess(long requestId, ProcessStartRequest request, string[] argv, DateTimeOffset startedAt, ProcessOptions options)
{
    private readonly Lock _lock = new();
    private readonly List<ProcessAttachment> _attached = [];
    private readonly TaskCompletionSource<int> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _pid;
    private ProcessExit? _exit;
    private Exception? _failure;
    private int _stdinClosed;

    /// <summary>The agent request id of the exec: stdin and signals name it.</summary>
    public long RequestId { get; } = requestId;

    public bool KeepStdinOpen { get; } = request.KeepStdinOpen;

    /// <summary>The pid once Started arrived (0 before).</summary>
    public int Pid => Volatile.Read(ref _pid);

    /// <summary>Completes with the pid, or fails when the exec could not start.</summary>
    public Task<int> Started => _started.Task;

    /// <summary>How it ended, once it has.</summary>
    public ProcessExit? Exit
    {
        get
        {
            lock (_lock)
            {
                return _exit;
            }
        }
    }

    public ProcessInfo Info => new()
    {
        Pid = Pid,
        Argv = argv,
        Cwd = request.Cwd,
        Env = request.Env is null ? [] : new Dictionary<string, string>(request.Env),
        Tag = request.Tag,
        StartedAt = startedAt,
    };

    /// <summary>Marks stdin closed; false when it already was.</summary>
    public bool CloseStdin() => Interlocked.Exchange(ref _stdinClosed, 1) == 0;

    public bool StdinClosed => Volatile.Read(ref _stdinClosed) != 0;

    /// <summary>The starting caller's attachment, made before the exec is sent so that it sees every event.</summary>
    public ProcessAttachment AttachFirst()
    {
        var attachment = new ProcessAttachment(options.AttachBufferBytes);
        lock (_lock)
        {
            _attached.Add(attachment);
        }

        return attachment;
    }

    /// <summary>Attaches a caller: Started, then output from now on, then Exited. A process that already ended gives
    /// Started and Exited at once. Null when too many callers are attached.</summary>
    public ProcessAttachment? Attach()
    {
        var attachment = new ProcessAttachment(options.AttachBufferBytes);
        lock (_lock)
        {
            if (_failure is not null)
            {
                attachment.Complete(_failure);
                return attachment;
            }

            attachment.Write(new ProcessEvent { Kind = ProcessEventKind.Started, Pid = _pid });
            if (_exit is not null)
            {
                attachment.Write(Exited(_exit));
                attachment.Complete();
                return attachment;
            }

            if (_attached.Count >= options.MaxAttachmentsPerProcess)
            {
                return null;
            }

            _attached.Add(attachment);
        }

        return attachment;
    }

    public void Detach(ProcessAttachment attachment)
    {
        lock (_lock)
        {
            _attached.Remove(attachment);
        }

        attachment.Complete();
    }

    public void OnStarted(int pid)
    {
        lock (_lock)
        {
            _pid = pid;
            var started = new ProcessEvent { Kind = ProcessEventKind.Started, Pid = pid };
            foreach (var attachment in _attached)
            {
                attachment.Write(started);
            }
        }

        _started.TrySetResult(pid);
    }

    public void OnOutput(ProcessEventKind stream, byte[] data)
    {
        lock (_lock)
        {
            if (_attached.Count == 0)
            {
                return;
            }

            var output = new ProcessEvent { Kind = stream, Pid = _pid, Data = data };
            foreach (var attachment in _attached)
            {
                attachment.TryOffer(output);
            }
        }
    }

    public void OnExit(ProcessExit exit)
    {
        ProcessAttachment[] attached;
        lock (_lock)
        {
            _exit = exit;
            attached = [.. _attached];
            _attached.Clear();
            var exited = Exited(exit);
            foreach (var attachment in attached)
            {
                attachment.Write(exited);
                attachment.Complete();
            }
        }

        _started.TrySetException(new SoulBoxException(ErrorCodes.Internal, "The process ended before its pid was reported."));
    }

    /// <summary>The exec failed (agent error, connection lost): every caller's stream ends in <paramref name="error"/>.</summary>
    public void OnFailed(Exception error)
    {
        ProcessAttachment[] attached;
        lock (_lock)
        {
            _failure = error;
            attached = [.. _attached];
            _attached.Clear();
        }

        foreach (var attachment in attached)
        {
            attachment.Complete(error);
        }

        _started.TrySetException(error);
    }

    private ProcessEvent Exited(ProcessExit exit) => new() { Kind = ProcessEventKind.Exited, Pid = _pid, Exit = exit };
}
