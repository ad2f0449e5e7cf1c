using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SoulBox.Grains.State;

/// <summary>Writes to the <see cref="IClusterStateStore"/> in the order they were asked for, off the caller's path: a
/// write that fails (Redis restarting) is retried with back-off for <see cref="ClusterStateOptions.RetrySeconds"/>, and
/// a caller waits at most <see cref="ClusterStateOptions.WriteWaitMs"/> for it. So a store outage slows nothing and
/// crashes nothing; it only delays what other silos learn. One writer keeps a sandbox's "live" before its "ended".</summary>
public sealed partial class ClusterStateRecorder : ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>Writes waiting at most (each a few hundred bytes); beyond that a write is dropped and logged.</summary>
    public const int MaxQueued = 100_000;
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan LongestRetry = TimeSpan.FromSeconds(5);

    private readonly IClusterStateStore _store;
    private readonly ClusterStateOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ClusterStateRecorder> _logger;
    private readonly Channel<Write> _writes = Channel.CreateBounded<Write>(new BoundedChannelOptions(MaxQueued) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lazy<Task> _loop;

    public ClusterStateRecorder(IClusterStateStore store, IOptions<ClusterStateOptions> options, TimeProvider time, ILogger<ClusterStateRecorder> logger)
    {
        (_store, _options, _time, _logger) = (store, options.Value, time, logger);
        _loop = new Lazy<Task>(() => Task.Run(RunAsync));
    }

    private sealed record Write(string What, Func<IClusterStateStore, CancellationToken, Task> Run, TaskCompletionSource Done);

    /// <summary>Queues a write; the task completes when it is stored (or faults when it was given up).</summary>
    public Task Record(string what, Func<IClusterStateStore, CancellationToken, Task> write)
    {
        _ = _loop.Value;
        var queued = new Write(what, write, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_writes.Writer.TryWrite(queued))
        {
            LogDropped(what, "the recorder has stopped or its queue is full");
            queued.Done.TrySetException(new InvalidOperationException($"Cluster state write '{what}' dropped: the recorder has stopped or its queue is full."));
        }

        return queued.Done.Task;
    }

    /// <summary>Queues a write nobody waits for (a failure is logged by the writer).</summary>
    public void RecordLater(string what, Func<IClusterStateStore, CancellationToken, Task> write) =>
        _ = Record(what, write).ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

    /// <summary>Queues a write and waits for it at most <see cref="ClusterStateOptions.WriteWaitMs"/>; past that it
    /// carries on in the background. Never throws for a store failure.</summary>
    public async Task RecordAndWaitAsync(string what, Func<IClusterStateStore, CancellationToken, Task> write)
    {
        try
        {
            await Record(what, write).WaitAsync(TimeSpan.FromMilliseconds(_options.WriteWaitMs), _time);
        }
        catch (TimeoutException)
        {
            LogSlow(what, _options.WriteWaitMs);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Already logged by the writer; the caller's work (ending a sandbox) goes on regardless.
        }
    }

    private async Task RunAsync()
    {
        await foreach (var write in _writes.Reader.ReadAllAsync(CancellationToken.None))
        {
            var started = _time.GetTimestamp();
            var wait = FirstRetry;
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await write.Run(_store, _stopping.Token);
                    write.Done.TrySetResult();
                    if (attempt > 1)
                    {
                        LogRecovered(write.What, attempt);
                    }

                    break;
                }
                catch (Exception e) when (_stopping.IsCancellationRequested || _time.GetElapsedTime(started) >= TimeSpan.FromSeconds(_options.RetrySeconds))
                {
                    LogDropped(write.What, e.Message);
                    write.Done.TrySetException(e);
                    break;
                }
                catch (Exception e)
                {
                    if (attempt == 1)
                    {
                        LogRetrying(e, write.What);
                    }

                    try
                    {
                        await Task.Delay(wait, _time, _stopping.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        // Stopping: the next attempt is the last.
                    }

                    wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, LongestRetry.Ticks));
                }
            }
        }
    }

    /// <summary>Writes everything still queued (sandboxes ended by the shutdown itself), waiting at most
    /// <see cref="ClusterStateOptions.WriteWaitMs"/> for a store that does not answer.</summary>
    public async Task FlushAsync()
    {
        _writes.Writer.TryComplete();
        if (!_loop.IsValueCreated)
        {
            return;
        }

        try
        {
            await _loop.Value.WaitAsync(TimeSpan.FromMilliseconds(_options.WriteWaitMs), _time);
        }
        catch (TimeoutException)
        {
            await _stopping.CancelAsync();
            await _loop.Value;
        }
    }

    /// <summary>Flushed when the silo stops, at the last stage, after the sandboxes ended by the shutdown were written.</summary>
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(ClusterStateRecorder), ServiceLifecycleStage.RuntimeInitialize, _ => Task.CompletedTask, _ => FlushAsync());

    [LoggerMessage(1, LogLevel.Warning, "Cluster state write {What} failed; retrying in the background")]
    private partial void LogRetrying(Exception exception, string what);

    [LoggerMessage(2, LogLevel.Information, "Cluster state write {What} stored after {Attempts} attempts")]
    private partial void LogRecovered(string what, int attempts);

    [LoggerMessage(3, LogLevel.Warning, "Cluster state write {What} given up: {Reason}")]
    private partial void LogDropped(string what, string reason);

    [LoggerMessage(4, LogLevel.Debug, "Cluster state write {What} still pending after {WaitMs} ms; it continues in the background")]
    private partial void LogSlow(string what, int waitMs);
}
