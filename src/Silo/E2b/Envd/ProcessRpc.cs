using Google.Protobuf;
using Microsoft.Extensions.Options;
using SoulBox.Grains;
using SoulBox.Grains.Processes;
using SoulBox.Silo.E2b.Envd.Connect;
using Rpc = SoulBox.Silo.E2b.Envd.Protos.Process;

namespace SoulBox.Silo.E2b.Envd;

/// <summary>envd's <c>process.Process</c> on the sandbox grain's background processes. Start and Connect stream
/// the process's events; the stream's end (the client going away, or its Connect-Timeout-Ms passing) only
/// detaches: the process lives on until it exits, is killed, or the lifetime it was started with ends.</summary>
internal sealed class ProcessRpc(IOptions<EnvdOptions> options, IOptions<ProcessOptions> processes, TimeProvider time, ILogger<EnvdService> logger)
{
    // Start and Connect answer the same shape ({"event": ProcessEvent}): one response type serves both streams.
    private static readonly byte[] KeepaliveFrame = ConnectEnvelope.Frame(0, ConnectJson.Formatter.Format(
        new Rpc.StartResponse { Event = new Rpc.ProcessEvent { Keepalive = new Rpc.ProcessEvent.Types.KeepAlive() } }));

    private readonly int _maxMessageBytes = options.Value.MaxMessageBytes;

    // The SDK's deadline can be longer than SoulBox lets a process live: such a process lives as long as it may
    // (SoulBox:Processes:MaxLifetimeMs, and never past its sandbox) instead of the start being refused.
    private readonly int _maxLifetimeMs = processes.Value.MaxLifetimeMs;

    /// <summary>Serves <paramref name="method"/> (the path after <c>/process.Process/</c>); null when it is not one of
    /// process.Process's methods.</summary>
    public Task? Serve(string method, HttpContext http, E2bSandboxTarget target, CancellationToken cancellationToken) => method switch
    {
        "Start" => StartAsync(http, target, cancellationToken),
        "Connect" => ConnectAsync(http, target, cancellationToken),
        "SendInput" => UnaryAsync<Rpc.SendInputRequest>(http, target, SendInputAsync, cancellationToken),
        "CloseStdin" => UnaryAsync<Rpc.CloseStdinRequest>(http, target, CloseStdinAsync, cancellationToken),
        "SendSignal" => UnaryAsync<Rpc.SendSignalRequest>(http, target, SendSignalAsync, cancellationToken),
        "List" => UnaryAsync<Rpc.ListRequest>(http, target, ListAsync, cancellationToken),
        _ => null,
    };

    private async Task StartAsync(HttpContext http, E2bSandboxTarget target, CancellationToken cancellationToken)
    {
        var stream = new EnvdStream(http, time, KeepaliveFrame);
        await stream.RunAsync(async (token, lifetime) =>
        {
            var request = ConnectUnary.Parse<Rpc.StartRequest>(await ConnectEnvelope.ReadSingleAsync(http.Request.BodyReader, _maxMessageBytes, token));
            var start = ToStartRequest(request, lifetime is { } ms ? Math.Min(ms, _maxLifetimeMs) : null);
            await PumpAsync(stream, target.Grain.StartProcessAsync(start, token), token);
        }, logger, cancellationToken);
    }

    private async Task ConnectAsync(HttpContext http, E2bSandboxTarget target, CancellationToken cancellationToken)
    {
        var stream = new EnvdStream(http, time, KeepaliveFrame);
        await stream.RunAsync(async (token, _) =>
        {
            var request = ConnectUnary.Parse<Rpc.ConnectRequest>(await ConnectEnvelope.ReadSingleAsync(http.Request.BodyReader, _maxMessageBytes, token));
            var pid = await PidAsync(target, request.Process, token);
            await PumpAsync(stream, target.Grain.AttachProcessAsync(pid, token), token);
        }, logger, cancellationToken);
    }

    /// <summary>Turns the grain's events into envd's, ending the stream with deadline_exceeded when the process was
    /// killed because its lifetime passed (what envd does: the SDK raises its TimeoutError).</summary>
    private static async Task PumpAsync(EnvdStream stream, IAsyncEnumerable<ProcessEvent> events, CancellationToken cancellationToken)
    {
        await foreach (var e in events.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (e.Kind == ProcessEventKind.Exited && e.Exit is { TimedOut: true })
            {
                throw new ConnectException(ConnectCodes.DeadlineExceeded, $"Process {e.Pid} was killed: its lifetime (Connect-Timeout-Ms) passed.");
            }

            await stream.WriteAsync(new Rpc.StartResponse { Event = ToRpc(e) }, cancellationToken);
        }
    }

    private static async Task<IMessage> SendInputAsync(Rpc.SendInputRequest request, E2bSandboxTarget target, CancellationToken cancellationToken)
    {
        var pid = await PidAsync(target, request.Process, cancellationToken);
        switch (request.Input?.InputCase)
        {
            case Rpc.ProcessInput.InputOneofCase.Stdin:
                await target.Grain.SendProcessInputAsync(pid, request.Input.Stdin.ToByteArray(), cancellationToken);
                break;
            case Rpc.ProcessInput.InputOneofCase.Pty:
                throw PtyUnsupported();
            default:
                break; // no input: nothing to send
        }

        return new Rpc.SendInputResponse();
    }

    private static async Task<IMessage> CloseStdinAsync(Rpc.CloseStdinRequest request, E2bSandboxTarget target, CancellationToken cancellationToken)
    {
        await target.Grain.CloseProcessInputAsync(await PidAsync(target, request.Process, cancellationToken), cancellationToken);
        return new Rpc.CloseStdinResponse();
    }

    private static async Task<IMessage> SendSignalAsync(Rpc.SendSignalRequest request, E2bSandboxTarget target, CancellationToken cancellationToken)
    {
        var signal = request.Signal switch
        {
            Rpc.Signal.Sigkill => 9,
            Rpc.Signal.Sigterm => 15,
            _ => throw new ConnectException(ConnectCodes.InvalidArgument, $"Signal {request.Signal} is not one envd sends (SIGNAL_SIGTERM, SIGNAL_SIGKILL)."),
        };
        await target.Grain.SignalProcessAsync(await PidAsync(target, request.Process, cancellationToken), signal, cancellationToken);
        return new Rpc.SendSignalResponse();
    }

    private static async Task<IMessage> ListAsync(Rpc.ListRequest request, E2bSandboxTarget target, CancellationToken cancellationToken)
    {
        var response = new Rpc.ListResponse();
        foreach (var process in await target.Grain.ListProcessesAsync(cancellationToken))
        {
            var config = new Rpc.ProcessConfig { Cmd = process.Argv.Length > 0 ? process.Argv[0] : "" };
            config.Args.Add(process.Argv.Skip(1));
            config.Envs.Add(process.Env);
            if (process.Cwd is not null)
            {
                config.Cwd = process.Cwd;
            }

            var info = new Rpc.ProcessInfo { Config = config, Pid = (uint)process.Pid };
            if (process.Tag is not null)
            {
                info.Tag = process.Tag;
            }

            response.Processes.Add(info);
        }

        return response;
    }

    private async Task UnaryAsync<T>(HttpContext http, E2bSandboxTarget target, Func<T, E2bSandboxTarget, CancellationToken, Task<IMessage>> handle,
        CancellationToken cancellationToken) where T : IMessage<T>, new()
    {
        await EnvdUnary.RunAsync(http, time, async token =>
            await handle(await ConnectUnary.ReadAsync<T>(http, _maxMessageBytes, token), target, token), logger, cancellationToken);
    }

    /// <summary>The pid a selector names; a tag is looked up among the running processes.</summary>
    private static async ValueTask<int> PidAsync(E2bSandboxTarget target, Rpc.ProcessSelector? selector, CancellationToken cancellationToken)
    {
        switch (selector?.SelectorCase)
        {
            case Rpc.ProcessSelector.SelectorOneofCase.Pid:
                return selector.Pid <= int.MaxValue
                    ? (int)selector.Pid
                    : throw new ConnectException(ConnectCodes.NotFound, $"No process has pid {selector.Pid}.");
            case Rpc.ProcessSelector.SelectorOneofCase.Tag:
                foreach (var process in await target.Grain.ListProcessesAsync(cancellationToken))
                {
                    if (process.Tag == selector.Tag)
                    {
                        return process.Pid;
                    }
                }

                throw new ConnectException(ConnectCodes.NotFound, $"No running process has tag '{selector.Tag}'.");
            default:
                throw new ConnectException(ConnectCodes.InvalidArgument, "Name the process by pid or tag.");
        }
    }

    /// <summary>envd's StartRequest as a grain request: cmd and args are the argv (the SDK sends
    /// <c>/bin/bash -l -c &lt;command&gt;</c>); stdin stays open unless the SDK says <c>stdin: false</c> (the field is
    /// optional and envd's default is true); the lifetime is the call's Connect-Timeout-Ms.</summary>
    internal static ProcessStartRequest ToStartRequest(Rpc.StartRequest request, long? lifetimeMs)
    {
        if (request.Pty is not null)
        {
            throw PtyUnsupported();
        }

        if (request.Process is not { Cmd.Length: > 0 } config)
        {
            throw new ConnectException(ConnectCodes.InvalidArgument, "process.cmd is required.");
        }

        var argv = new string[config.Args.Count + 1];
        argv[0] = config.Cmd;
        config.Args.CopyTo(argv, 1);
        return new ProcessStartRequest
        {
            Argv = argv,
            Cwd = config.HasCwd && config.Cwd.Length > 0 ? config.Cwd : null,
            Env = config.Envs.Count > 0 ? new Dictionary<string, string>(config.Envs) : null,
            KeepStdinOpen = !request.HasStdin || request.Stdin,
            LifetimeMs = lifetimeMs is { } ms ? (int)Math.Min(ms, int.MaxValue) : null,
            Tag = request.HasTag ? request.Tag : null,
        };
    }

    /// <summary>A grain event as envd's: exit codes and status strings as Go's os.ProcessState gives them
    /// (<c>exit status 1</c>, <c>signal: killed</c>; a signalled process has exit code -1 and exited false), with the
    /// status repeated as the error when the process did not exit 0 (envd reports cmd.Wait's error there).</summary>
    internal static Rpc.ProcessEvent ToRpc(ProcessEvent e)
    {
        switch (e.Kind)
        {
            case ProcessEventKind.Started:
                return new Rpc.ProcessEvent { Start = new Rpc.ProcessEvent.Types.StartEvent { Pid = (uint)e.Pid } };
            case ProcessEventKind.Stdout:
                return new Rpc.ProcessEvent { Data = new Rpc.ProcessEvent.Types.DataEvent { Stdout = ByteString.CopyFrom(e.Data ?? []) } };
            case ProcessEventKind.Stderr:
                return new Rpc.ProcessEvent { Data = new Rpc.ProcessEvent.Types.DataEvent { Stderr = ByteString.CopyFrom(e.Data ?? []) } };
            default:
                var exit = e.Exit ?? new ProcessExit();
                var end = new Rpc.ProcessEvent.Types.EndEvent();
                if (exit.Signal is { } signal && exit.ExitCode is null)
                {
                    end.ExitCode = -1;
                    end.Exited = false;
                    end.Status = $"signal: {SignalName(signal)}";
                }
                else
                {
                    end.ExitCode = exit.ExitCode ?? -1;
                    end.Exited = true;
                    end.Status = $"exit status {end.ExitCode}";
                }

                if (end.ExitCode != 0)
                {
                    end.Error = end.Status;
                }

                return new Rpc.ProcessEvent { End = end };
        }
    }

    /// <summary>Go's names of the signals (syscall.Signal.String), which envd's status strings carry.</summary>
    internal static string SignalName(int signal) => signal switch
    {
        1 => "hangup",
        2 => "interrupt",
        3 => "quit",
        4 => "illegal instruction",
        6 => "aborted",
        8 => "floating point exception",
        9 => "killed",
        11 => "segmentation fault",
        13 => "broken pipe",
        14 => "alarm clock",
        15 => "terminated",
        _ => $"signal {signal}",
    };

    private static ConnectException PtyUnsupported() => new(ConnectCodes.Unimplemented,
        "PTY sessions are not supported by SoulBox's envd: start the command without a pty (commands.run / commands.start).");
}
