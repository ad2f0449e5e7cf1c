using System.Diagnostics;
using SoulBox.Agent.Exec;
using SoulBox.Agent.Protocol;

namespace SoulBox.Agent.Worker;

/// <summary>Runs one ExecRequest: spawn, stream output, enforce timeout and cancellation, report.</summary>
internal sealed class ExecHandler(WorkerServices services)
{
    /// <summary>How long output may keep flowing after the process tree is gone (pipes drain).</summary>
    private static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(2);

    /// <summary>Longest wait for the helper to report the program's pid (it writes it right after fork).</summary>
    private static readonly TimeSpan PidWait = TimeSpan.FromSeconds(5);

    public async Task RunAsync(ExecRequest request, ExecSession session, IEventSink sink, CancellationToken cancellationToken)
    {
        var argv = (request.Argv, request.Shell) switch
        {
            ({ Length: > 0 } a, null) => a,
            (null, { } shell) => ["/bin/sh", "-c", shell],
            _ => throw new AgentException(AgentErrorCodes.BadRequest, "Exactly one of argv (non-empty) or shell must be set."),
        };
        var limits = request.Limits;
        var cwd = services.ResolveWorkingDirectory(request.Cwd);
        var environment = services.BuildEnvironment(request.Env);
        var stopwatch = Stopwatch.StartNew();
        using var process = services.Launcher.Start(argv, environment, cwd,
            new ProcessLimits(limits.MaxOpenFiles, limits.MaxFileBytes, limits.MaxProcesses));
        var stdinTask = session.PumpAsync(process.Stdin);
        session.Started(process);
        if (request.ReportPid)
        {
            // Before any output: the pipes are not read until the pid is out, so Started is the stream's first event.
            using var pidWait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            pidWait.CancelAfter(PidWait);
            var pid = await process.WaitForPidAsync(pidWait.Token).ConfigureAwait(false);
            if (pid > 0)
            {
                await sink.SendAsync(new ExecStartedEvent(pid), default, cancellationToken).ConfigureAwait(false);
            }
        }

        // Once the exit event is decided no output may follow it, even from a pipe we gave up on. Output waiting for
        // credit when the run times out or is cancelled is dropped (the token), so the kill is never held up by a
        // slow reader.
        var closed = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(Math.Max(1, limits.TimeoutMs)));
        // A run that passes its output cap is ended there, like Piston and Judge0 do: the rest would only be dropped,
        // and a flood would otherwise burn its CPU until the timeout. It ends as an output limit, not a timeout.
        using var capReached = new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken, capReached.Token);
        var ended = linked.Token;
        var emitting = 0;
        async ValueTask EmitAsync(OutputStream stream, ReadOnlyMemory<byte> chunk)
        {
            Interlocked.Increment(ref emitting);
            try
            {
                await sink.SendAsync(new OutputEvent(stream), chunk, ended).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref emitting);
            }
        }

        Func<ReadOnlyMemory<byte>, ValueTask> Emit(OutputStream stream) =>
            chunk => Volatile.Read(ref closed) == 0 ? EmitAsync(stream, chunk) : ValueTask.CompletedTask;
        void OnCapReached() => capReached.Cancel();
        var stdoutTask = OutputPump.PumpAsync(process.Stdout, limits.MaxOutputBytesPerStream, Emit(OutputStream.Stdout), CancellationToken.None, OnCapReached);
        var stderrTask = OutputPump.PumpAsync(process.Stderr, limits.MaxOutputBytesPerStream, Emit(OutputStream.Stderr), CancellationToken.None, OnCapReached);

        var timedOut = false;
        var cancelled = false;
        try
        {
            await process.WaitForExitAsync(ended).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            cancelled = cancellationToken.IsCancellationRequested;
            timedOut = timeout.IsCancellationRequested && !cancelled;
            if (!await services.KillRunAsync(process).ConfigureAwait(false))
            {
                Interlocked.Exchange(ref closed, 1);
                session.Complete();
                var why = cancelled ? "cancellation" : timedOut ? "timeout" : "output limit";
                throw new AgentException(AgentErrorCodes.KillFailed,
                    $"The command's processes could not be killed within {RunKiller.Grace.TotalSeconds:0} s of its {why}.");
            }
        }

        // The helper killed whatever the program left behind before it exited, so the pipes close now. What is left in
        // them still goes out: a pump waiting for credit (a slow reader) is given time until the run's own timeout;
        // only pipes that stay open with nobody waiting on the reader are given up on.
        var wallTime = stopwatch.Elapsed.TotalMilliseconds;
        var outputs = Task.WhenAll(stdoutTask, stderrTask);
        while (await Task.WhenAny(outputs, Task.Delay(DrainGrace)).ConfigureAwait(false) != outputs)
        {
            if (Volatile.Read(ref emitting) == 0)
            {
                AgentLog.Info($"exec {request.Id}: output pipes still open {DrainGrace.TotalSeconds} s after exit; giving up on them");
                break;
            }
        }

        Interlocked.Exchange(ref closed, 1);
        session.Complete();
        await Task.WhenAny(stdinTask, Task.Delay(100)).ConfigureAwait(false);
        var result = process.ReadResult();
        await sink.SendAsync(new ExitEvent
        {
            ExitCode = result.ExitCode,
            Signal = result.Signal,
            TimedOut = timedOut,
            Cancelled = cancelled,
            StdoutTruncated = stdoutTask.IsCompletedSuccessfully && stdoutTask.Result,
            StderrTruncated = stderrTask.IsCompletedSuccessfully && stderrTask.Result,
            WallTimeMs = wallTime,
            CpuTimeMs = result.CpuTimeMs,
            PeakMemoryBytes = result.PeakMemoryBytes,
        }).ConfigureAwait(false);
    }
}
