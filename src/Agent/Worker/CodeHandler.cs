using System.Diagnostics;
using SoulBox.Agent.Protocol;

namespace SoulBox.Agent.Worker;

/// <summary>Code context requests: create, list, restart, delete, and run code in a persistent kernel.</summary>
internal sealed class CodeHandler(WorkerServices services)
{
    private const int DefaultTimeoutMs = 30_000;
    private const long MaxOutputBytesPerStream = 1024 * 1024;

    private KernelRegistry Kernels => services.Kernels;

    public async Task CreateAsync(CreateContextRequest request, IEventSink sink)
    {
        var context = await Kernels.CreateAsync(request.Language, request.Cwd).ConfigureAwait(false);
        await sink.SendAsync(new ContextCreatedEvent(context.Id, context.Language) { Cwd = context.Cwd }).ConfigureAwait(false);
    }

    public async Task ListAsync(IEventSink sink) =>
        await sink.SendAsync(new ContextListEvent([.. Kernels.List().Select(c => new AgentContextInfo(c.Id, c.Language, c.Cwd))])).ConfigureAwait(false);

    public async Task RestartAsync(RestartContextRequest request, IEventSink sink)
    {
        var context = await Kernels.RestartAsync(request.ContextId).ConfigureAwait(false);
        await sink.SendAsync(new ContextCreatedEvent(context.Id, context.Language) { Cwd = context.Cwd }).ConfigureAwait(false);
    }

    public async Task DeleteAsync(DeleteContextRequest request, IEventSink sink)
    {
        await Kernels.DeleteAsync(request.ContextId).ConfigureAwait(false);
        await sink.SendAsync(new OkEvent()).ConfigureAwait(false);
    }

    public async Task RunAsync(RunCodeRequest request, IEventSink sink, CancellationToken cancellationToken)
    {
        var context = Kernels.Find(request.ContextId, request.Language);
        var stopwatch = Stopwatch.StartNew();
        try
        {
            await context.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await sink.SendAsync(new CodeResultEvent { Cancelled = true, WallTimeMs = stopwatch.Elapsed.TotalMilliseconds }).ConfigureAwait(false);
            return;
        }

        try
        {
            await sink.SendAsync(await RunGatedAsync(context, request, sink, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        }
        finally
        {
            context.Gate.Release();
        }
    }

    private async Task<CodeResultEvent> RunGatedAsync(CodeContext context, RunCodeRequest request, IEventSink sink, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        // One liveness check per run: it reads the kernel's /proc/<pid>/stat.
        var kernel = context.Kernel;
        if (kernel is null || kernel.HasExited)
        {
            // Starting a kernel forks and waits: leave the connection's read loop first (see RequestRouter).
            await Task.Yield();
            if (kernel is not null)
            {
                // Killed between runs (user code may kill every process it owns): start afresh, state is gone.
                context.Kernel = null;
                await kernel.StopAsync().ConfigureAwait(false);
                AgentLog.Info($"context {context.Id}: kernel had exited while idle; starting a new one");
            }

            kernel = context.Kernel = await Kernels.StartKernelAsync(context).ConfigureAwait(false);
        }

        var timeoutMs = request.TimeoutMs > 0 ? request.TimeoutMs : DefaultTimeoutMs;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(timeoutMs));
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        // Output waits for the silo's credit (the kernel blocks on a full pipe meanwhile) until the run times out or
        // is cancelled; then it is dropped so the turn can close and the kernel be stopped.
        var ended = linked.Token;
        var turn = new KernelTurn(
            (stream, chunk, flush) => sink.SendAsync(new OutputEvent(stream), chunk, ended, flush),
            MaxOutputBytesPerStream,
            (json, flush) => sink.SendAsync(new ResultEvent(), json, ended, flush));
        CodeError error;
        var cancelled = false;
        try
        {
            var reply = await kernel.RunAsync(new KernelRequest(request.Code, request.Env), turn, linked.Token).ConfigureAwait(false);
            return new CodeResultEvent
            {
                Value = reply.Value,
                Data = reply.Data is { Count: > 0 } data ? data : null,
                Error = reply.Error is { } e ? new CodeError(e.Name, e.Value, e.Traceback) : null,
                StdoutTruncated = turn.StdoutTruncated,
                StderrTruncated = turn.StderrTruncated,
                WallTimeMs = stopwatch.Elapsed.TotalMilliseconds,
            };
        }
        catch (OperationCanceledException)
        {
            cancelled = cancellationToken.IsCancellationRequested;
            error = cancelled
                ? new CodeError("CancelledError", "The run was cancelled; the kernel was stopped and its state is lost (it restarts on the next run).", "")
                : new CodeError("TimeoutError", $"The run exceeded its {timeoutMs} ms timeout; the kernel was restarted and its state is lost.", "");
        }
        catch (KernelExitedException)
        {
            error = new CodeError("KernelDiedError",
                $"The {context.Language} kernel exited during the run; its state is lost (it restarts on the next run).", "");
        }

        // The kernel is killed outright: interrupting user code politely is not reliable.
        context.Kernel = null;
        if (!await kernel.StopAsync().ConfigureAwait(false))
        {
            throw new AgentException(AgentErrorCodes.KillFailed,
                $"The {context.Language} kernel could not be killed within {RunKiller.Grace.TotalSeconds:0} s after {error.Name}.");
        }

        AgentLog.Info($"context {context.Id}: kernel stopped after {error.Name}");
        return new CodeResultEvent
        {
            Error = error,
            TimedOut = !cancelled && error.Name == "TimeoutError",
            Cancelled = cancelled,
            StdoutTruncated = turn.StdoutTruncated,
            StderrTruncated = turn.StderrTruncated,
            WallTimeMs = stopwatch.Elapsed.TotalMilliseconds,
        };
    }
}
