using System.Collections.Concurrent;
using SoulBox.Agent.Protocol;

namespace SoulBox.Agent.Worker;

/// <summary>Runs the requests of one connection. <see cref="Start"/> is called in frame order on the
/// connection's read loop: it does the order-sensitive bookkeeping synchronously (registering an
/// exec's stdin before a StdinRequest for it can arrive) and runs the work itself on the thread pool.</summary>
internal sealed class RequestRouter(WorkerServices services)
{
    private readonly ConcurrentDictionary<long, ExecSession> _execs = new();
    private readonly ExecHandler _exec = new(services);
    private readonly CodeHandler _code = new(services);
    private readonly FileHandler _files = new(services);
    private readonly ResetHandler _reset = new(services);
    private readonly StatsHandler _stats = new();

    /// <summary>Returns the task that sends the request's terminal event; failures become ErrorEvents.</summary>
    public Task Start(AgentRequest request, byte[] payload, IEventSink sink, CancellationToken cancellationToken)
    {
        switch (request)
        {
            case StdinRequest stdin:
                return Guard(request, sink, () =>
                {
                    if (!_execs.TryGetValue(stdin.TargetId, out var session))
                    {
                        throw new AgentException(AgentErrorCodes.NotFound, $"No running exec with id {stdin.TargetId}.");
                    }

                    var written = session.Write(payload, stdin.Close, stdin.WaitWritten);
                    return written.IsCompleted ? sink.SendAsync(new OkEvent()).AsTask() : OkWhenWrittenAsync(written, sink);
                });
            case SignalRequest signal:
                return Guard(request, sink, () =>
                {
                    if (signal.Signal is < 1 or > 64)
                    {
                        throw new AgentException(AgentErrorCodes.BadRequest, $"Signal {signal.Signal} is not a signal number (1-64).");
                    }

                    if (!_execs.TryGetValue(signal.TargetId, out var target) || !target.Signal(signal.Signal))
                    {
                        throw new AgentException(AgentErrorCodes.NotFound, $"No running exec with id {signal.TargetId}.");
                    }

                    return sink.SendAsync(new OkEvent()).AsTask();
                });
            case ExecRequest exec:
                var session = new ExecSession();
                if (!_execs.TryAdd(exec.Id, session))
                {
                    return Guard(request, sink, () => throw new AgentException(AgentErrorCodes.BadRequest, $"Request id {exec.Id} is already running."));
                }

                // Queue the exec's own stdin here, in frame order: a StdinRequest right behind it must not overtake it.
                if (payload.Length > 0 || !exec.KeepStdinOpen)
                {
                    _ = session.Write(payload, close: !exec.KeepStdinOpen);
                }

                return Task.Run(() => Guard(request, sink, async () =>
                {
                    try
                    {
                        await _exec.RunAsync(exec, session, sink, cancellationToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        _execs.TryRemove(exec.Id, out _);
                    }
                }));
            case RunCodeRequest run:
                // The hot path: started on the read loop, not queued to the thread pool. It only takes the context's
                // gate and writes one line to the kernel's stdin before its first real wait (a kernel that must
                // start first is started off the read loop, see CodeHandler); each hop saved is a thread wake-up
                // on a node where a hundred agents share a few cores.
                return Guard(request, sink, () => _code.RunAsync(run, sink, cancellationToken));
            default:
                return Task.Run(() => Guard(request, sink, () => RunAsync(request, payload, sink, cancellationToken)));
        }
    }

    private Task RunAsync(AgentRequest request, byte[] payload, IEventSink sink, CancellationToken cancellationToken) => request switch
    {
        CreateContextRequest create => _code.CreateAsync(create, sink),
        DeleteContextRequest delete => _code.DeleteAsync(delete, sink),
        ListContextsRequest => _code.ListAsync(sink),
        RestartContextRequest restart => _code.RestartAsync(restart, sink),
        ReadFileRequest read => _files.ReadAsync(read, sink, cancellationToken),
        WriteFileRequest write => _files.WriteAsync(write, payload, sink, cancellationToken),
        ListFilesRequest list => _files.ListAsync(list, sink),
        StatFileRequest stat => _files.StatAsync(stat, sink),
        MakeDirectoryRequest mkdir => _files.MakeDirectoryAsync(mkdir, sink),
        RemoveFileRequest remove => _files.RemoveAsync(remove, sink),
        MoveFileRequest move => _files.MoveAsync(move, sink),
        ResetRequest => _reset.ResetAsync(sink, cancellationToken),
        StatsRequest => _stats.StatsAsync(sink),
        _ => throw new AgentException(AgentErrorCodes.BadRequest, $"Request type {request.GetType().Name} is not handled here."),
    };

    /// <summary>Every failure of a handler becomes the request's ErrorEvent; the agent never crashes on one.</summary>
    private static async Task Guard(AgentRequest request, IEventSink sink, Func<Task> handler)
    {
        ErrorEvent error;
        try
        {
            await handler().ConfigureAwait(false);
            return;
        }
        catch (AgentException e)
        {
            error = new ErrorEvent(e.Code, e.Message);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            error = new ErrorEvent(AgentErrorCodes.NotFound, e.Message);
        }
        catch (OperationCanceledException)
        {
            // Cancelled by the silo (or its connection closing) while the handler waited or read: not a fault.
            error = new ErrorEvent(AgentErrorCodes.Cancelled, $"Request {request.Id} was cancelled.");
        }
        catch (Exception e)
        {
            AgentLog.Info($"request {request.Id} ({request.GetType().Name}) failed: {e}");
            error = new ErrorEvent(AgentErrorCodes.Internal, e.Message);
        }

        try
        {
            await sink.SendAsync(error).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            AgentLog.Info($"request {request.Id}: could not send its error ({e.Message})");
        }
    }

    private static async Task OkWhenWrittenAsync(Task written, IEventSink sink)
    {
        await written.ConfigureAwait(false);
        await sink.SendAsync(new OkEvent()).ConfigureAwait(false);
    }
}
