using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SoulBox.Agent.Protocol;
using SoulBox.Grains.AgentClient;
using SoulBox.Grains.Execution;
using SoulBox.Grains.Processes;

namespace SoulBox.Grains.Sandboxes;

// Background processes: start, attach, stdin, signal, list. The machinery is in Grains/Processes: a ProcessTable per
// activation, a BackgroundProcess per process with a pump (ProcessPump) that consumes its exec's events all the time,
// and a bounded ProcessAttachment per attached caller. Streams do not take one of the sandbox's in-flight slots (an
// attach may last as long as the process); they are bounded by MaxProcessesPerSandbox × MaxAttachmentsPerProcess.
// A process silent for minutes keeps its stream: Orleans long-polls an IAsyncEnumerable grain call (its grain
// extension answers "heartbeat" after half the response timeout and the caller asks again), so no item is needed.
internal sealed partial class SandboxGrain
{
    private ProcessTable? _processes;
    private ProcessOptions? _processOptions;

    private ProcessOptions ProcessLimits => _processOptions ??= ServiceProvider.GetRequiredService<IOptions<ProcessOptions>>().Value;

    private ProcessTable Processes => _processes ??= new ProcessTable(ProcessLimits, ServiceProvider.GetRequiredService<TimeProvider>());

    public IAsyncEnumerable<ProcessEvent> StartProcessAsync(ProcessStartRequest request, CancellationToken cancellationToken = default)
    {
        if (_info is null)
        {
            return UnknownStream<ProcessEvent>();
        }

        var agent = EnsureRunning();
        ArgumentNullException.ThrowIfNull(request);
        var argv = ValidateProcess(request);
        var clock = ServiceProvider.GetRequiredService<TimeProvider>();
        var exec = new ExecRequest
        {
            Id = agent.ReserveId(),
            Argv = argv,
            Cwd = request.Cwd is null ? null : FileNames.ValidatePath(request.Cwd, "cwd"),
            Env = Merge(request.Env),
            KeepStdinOpen = request.KeepStdinOpen,
            ReportPid = true,
            Limits = new ExecLimits
            {
                TimeoutMs = ProcessLifetimeMs(request.LifetimeMs, clock),
                // Output is never kept: the pump hands it to whoever is attached and drops the rest, so no cap ends it.
                MaxOutputBytesPerStream = long.MaxValue,
            },
        };
        var table = Processes;
        table.Reserve(Id);
        var process = new BackgroundProcess(exec.Id, request, argv, clock.GetUtcNow(), ProcessLimits);
        var attachment = process.AttachFirst();
        _ = Task.Run(() => ProcessPump.RunAsync(agent, exec, process, table), CancellationToken.None);
        return GuardProcess(StartedStreamAsync(process, attachment, cancellationToken), exec.Cwd);
    }

    public IAsyncEnumerable<ProcessEvent> AttachProcessAsync(int pid, CancellationToken cancellationToken = default)
    {
        if (_info is null)
        {
            return UnknownStream<ProcessEvent>();
        }

        EnsureRunning();
        var process = Processes.Find(pid) ?? throw new ProcessNotFoundException(Id, pid);
        var attachment = process.Attach() ?? throw new TooManyRequestsException(
            $"Process {pid} of sandbox '{Id}' already has {ProcessLimits.MaxAttachmentsPerProcess} callers attached (SoulBox:Processes:MaxAttachmentsPerProcess).");
        return GuardProcess(AttachedStreamAsync(process, attachment, cancellationToken), null);
    }

    public async Task SendProcessInputAsync(int pid, byte[] data, CancellationToken cancellationToken = default)
    {
        await ThrowIfUnknownAsync();
        var agent = EnsureRunning();
        ArgumentNullException.ThrowIfNull(data);
        var process = Processes.Running(pid) ?? throw new ProcessNotFoundException(Id, pid);
        if (!process.KeepStdinOpen)
        {
            throw new SandboxValidationException("stdin", $"Process {pid} was started without keepStdinOpen: its stdin is closed.");
        }

        if (process.StdinClosed)
        {
            throw new SandboxValidationException("stdin", $"The stdin of process {pid} is already closed.");
        }

        if (data.Length > ProcessLimits.MaxStdinChunkBytes)
        {
            throw new RequestTooLargeException("stdin", ProcessLimits.MaxStdinChunkBytes,
                $"Send at most {ProcessLimits.MaxStdinChunkBytes} bytes of stdin per call (SoulBox:Processes:MaxStdinChunkBytes).");
        }

        if (data.Length > 0)
        {
            await ProcessRequestAsync(agent, pid, new StdinRequest(process.RequestId, Close: false), data, cancellationToken);
        }
    }

    public async Task CloseProcessInputAsync(int pid, CancellationToken cancellationToken = default)
    {
        await ThrowIfUnknownAsync();
        var agent = EnsureRunning();
        var process = Processes.Running(pid) ?? throw new ProcessNotFoundException(Id, pid);
        // Idempotent: a process started without keepStdinOpen, or closed before, has nothing left to close.
        if (process.KeepStdinOpen && process.CloseStdin())
        {
            await ProcessRequestAsync(agent, pid, new StdinRequest(process.RequestId, Close: true), default, cancellationToken);
        }
    }

    public async Task SignalProcessAsync(int pid, int signal, CancellationToken cancellationToken = default)
    {
        await ThrowIfUnknownAsync();
        var agent = EnsureRunning();
        if (signal is < 1 or > 64)
        {
            throw new SandboxValidationException("signal", $"Signal {signal} is not a signal number (1-64; 15 SIGTERM, 9 SIGKILL, 2 SIGINT, 1 SIGHUP).");
        }

        var process = Processes.Running(pid) ?? throw new ProcessNotFoundException(Id, pid);
        await ProcessRequestAsync(agent, pid, new SignalRequest(process.RequestId, signal), default, cancellationToken);
    }

    public async Task<ProcessInfo[]> ListProcessesAsync(CancellationToken cancellationToken = default)
    {
        await ThrowIfUnknownAsync();
        EnsureRunning();
        return Processes.List();
    }

    /// <summary>Stdin or a signal for a running process's exec; the agent's not_found (it ended meanwhile) is the pid's.</summary>
    private Task ProcessRequestAsync(AgentConnection agent, int pid, AgentRequest request, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        Call(async () =>
        {
            try
            {
                return await agent.RequestAsync(request, cancellationToken, payload);
            }
            catch (AgentErrorException e) when (e.Code == AgentErrorCodes.NotFound)
            {
                throw new ProcessNotFoundException(Id, pid);
            }
            catch (AgentErrorException e) when (e.Code == AgentErrorCodes.BadRequest && request is StdinRequest)
            {
                throw new SandboxValidationException("stdin", $"The stdin of process {pid} is already closed.");
            }
        });

    private string[] ValidateProcess(ProcessStartRequest request)
    {
        if ((request.Cmd is null) == (request.Argv is null) || (request.Cmd is not null && string.IsNullOrWhiteSpace(request.Cmd)) || (request.Argv is not null && (request.Argv.Length == 0 || string.IsNullOrEmpty(request.Argv[0]))))
        {
            throw new SandboxValidationException("cmd", "Give either cmd (a shell command) or argv (a non-empty argument list), not both.");
        }

        _validate.Code(request.Cmd ?? string.Join(' ', request.Argv!), request.Cmd is null ? "argv" : "cmd");
        _validate.Pairs(request.Env, "env", requireEnvName: true);
        if (request.Tag is { Length: > 256 })
        {
            throw new SandboxValidationException("tag", "A tag is at most 256 characters.");
        }

        static long Bytes(string? value) => value is null ? 0 : System.Text.Encoding.UTF8.GetByteCount(value);
        var total = Bytes(request.Cmd) + (request.Argv?.Sum(a => Bytes(a) + 1) ?? 0) + Bytes(request.Cwd) + (request.Env?.Sum(e => Bytes(e.Key) + Bytes(e.Value) + 8) ?? 0);
        var budget = AgentProtocol.MaxFrameBytes - 64 * 1024;
        if (total > budget)
        {
            throw new RequestTooLargeException("request", budget, $"The command and its environment are {total} bytes together; at most {budget} bytes fit one request.");
        }

        // A shell line runs under bash, as E2B runs its commands; ProcessInfo shows it as bash -c <line>.
        return request.Cmd is { } cmd ? ["/bin/bash", "-c", cmd] : [.. request.Argv!];
    }

    /// <summary>The caller's lifetime (or the default), at most the node's maximum, and never past the sandbox's end.</summary>
    private int ProcessLifetimeMs(int? requested, TimeProvider clock)
    {
        var limits = ProcessLimits;
        if (requested is { } asked && (asked < 1 || asked > limits.MaxLifetimeMs))
        {
            throw new SandboxValidationException("lifetimeMs", $"lifetimeMs must be between 1 and {limits.MaxLifetimeMs} (SoulBox:Processes:MaxLifetimeMs).");
        }

        var left = (_info!.ExpiresAt - clock.GetUtcNow()).TotalMilliseconds;
        return (int)Math.Max(1, Math.Min(requested ?? limits.DefaultLifetimeMs, left));
    }

    private static async IAsyncEnumerable<ProcessEvent> StartedStreamAsync(BackgroundProcess process, ProcessAttachment attachment, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            // A start that fails (bad cwd, agent gone) fails here, before any event.
            await process.Started.WaitAsync(cancellationToken);
            await foreach (var item in attachment.ReadAllAsync(cancellationToken))
            {
                yield return item;
            }
        }
        finally
        {
            process.Detach(attachment);
        }
    }

    private static async IAsyncEnumerable<ProcessEvent> AttachedStreamAsync(BackgroundProcess process, ProcessAttachment attachment, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var item in attachment.ReadAllAsync(cancellationToken))
            {
                yield return item;
            }
        }
        finally
        {
            process.Detach(attachment);
        }
    }

    /// <summary>Translates agent failures while streaming, like Guard, without taking an in-flight slot; a stream cut
    /// by the sandbox's end says how the sandbox ended.</summary>
    private async IAsyncEnumerable<ProcessEvent> GuardProcess(IAsyncEnumerable<ProcessEvent> source, string? path, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var enumerator = source.GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                ProcessEvent current;
                try
                {
                    if (!await enumerator.MoveNextAsync())
                    {
                        yield break;
                    }

                    current = enumerator.Current;
                }
                catch (Exception e) when (e is AgentConnectionLostException or AgentErrorException)
                {
                    if (registry.Ended(Id) is { } ended)
                    {
                        throw ended.ToException(Id);
                    }

                    throw Translate(e, path)!;
                }

                yield return current;
            }
        }
        finally
        {
            await enumerator.DisposeAsync();
        }
    }
}
