using System.Collections.Concurrent;
using System.Diagnostics;

namespace SoulBox.Bench.Measurement;

/// <summary>A request of the load: returns null on success or a short error kind (it may also throw).</summary>
internal delegate Task<string?> BenchRequest(int worker, CancellationToken cancellationToken);

/// <summary>Work done right before the measurement window opens and right after it closes (the scale scenario's
/// own samplers and counter reads), so they cover the window and not the warm-up.</summary>
internal sealed record WindowHooks(Func<Task> BeforeBegin, Func<Task> AfterEnd);

internal sealed record WindowResult(LatencyStats Latency, double Seconds, double Rps, ResourceSummary? Resources)
{
    public int Completed => Latency.Count;
}

/// <summary>Drives load in two shapes: closed loop (N virtual users, each sending its next request when the
/// last one answers) and open loop (requests started at a fixed offered rate, whatever the answers do).
/// Both warm up first, then measure a fixed window; a request counts when it completes inside the window.</summary>
internal static class LoadRunner
{
    /// <summary>Longest a request may still run after the window before it is cancelled.</summary>
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(30);

    /// <summary>Error kind of an open-loop request the generator did not send because too many were in flight.</summary>
    public const string NotSent = "overload (not sent)";

    public static async Task<WindowResult> ClosedLoopAsync(string label, int users, BenchRequest request, TimeSpan warmup, TimeSpan window,
        Progress progress, ResourceSampler? sampler, CancellationToken cancellationToken, WindowHooks? hooks = null)
    {
        var clock = new WindowClock();
        var recorders = Enumerable.Range(0, users).Select(_ => new LatencyRecorder()).ToArray();
        var completed = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        async Task UserAsync(int user)
        {
            await Task.Yield();
            var recorder = recorders[user];
            while (!clock.Ended && !stop.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                string? error;
                try
                {
                    error = await request(user, stop.Token);
                }
                catch (Exception e)
                {
                    error = LatencyRecorder.KindOf(e);
                }

                var ended = Stopwatch.GetTimestamp();
                if (!clock.Contains(ended))
                {
                    continue;
                }

                if (error is null)
                {
                    recorder.Record(Stopwatch.GetElapsedTime(started, ended).TotalMilliseconds);
                    Interlocked.Increment(ref completed);
                }
                else
                {
                    recorder.Error(error);
                }
            }
        }

        var tasks = Enumerable.Range(0, users).Select(UserAsync).ToArray();
        var result = await MeasureAsync(label, clock, warmup, window, progress, sampler, () => Volatile.Read(ref completed), tasks, stop, cancellationToken, hooks);
        return result with { Latency = LatencyRecorder.Merge(recorders) };
    }

    public static async Task<WindowResult> OpenLoopAsync(string label, double rate, BenchRequest request, TimeSpan warmup, TimeSpan window,
        Progress progress, ResourceSampler? sampler, int maxOutstanding, CancellationToken cancellationToken)
    {
        var clock = new WindowClock();
        var samples = new ConcurrentQueue<double>();
        var errors = new ConcurrentDictionary<string, int>();
        var completed = 0;
        var outstanding = 0;
        var inFlight = new ConcurrentDictionary<long, Task>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        async Task OneAsync(long index)
        {
            var started = Stopwatch.GetTimestamp();
            string? error;
            try
            {
                error = await request((int)(index % int.MaxValue), stop.Token);
            }
            catch (Exception e)
            {
                error = LatencyRecorder.KindOf(e);
            }
            finally
            {
                Interlocked.Decrement(ref outstanding);
            }

            var ended = Stopwatch.GetTimestamp();
            if (clock.Contains(ended))
            {
                if (error is null)
                {
                    samples.Enqueue(Stopwatch.GetElapsedTime(started, ended).TotalMilliseconds);
                    Interlocked.Increment(ref completed);
                }
                else
                {
                    errors.AddOrUpdate(error, 1, (_, n) => n + 1);
                }
            }
        }

        async Task SchedulerAsync()
        {
            await Task.Yield();
            var begun = Stopwatch.GetTimestamp();
            long issued = 0;
            while (!clock.Ended && !stop.IsCancellationRequested)
            {
                var due = (long)(Stopwatch.GetElapsedTime(begun).TotalSeconds * rate);
                for (; issued < due; issued++)
                {
                    if (Volatile.Read(ref outstanding) >= maxOutstanding)
                    {
                        if (clock.Contains(Stopwatch.GetTimestamp()))
                        {
                            errors.AddOrUpdate(NotSent, 1, (_, n) => n + 1);
                        }

                        continue;
                    }

                    Interlocked.Increment(ref outstanding);
                    var index = issued;
                    var task = OneAsync(index);
                    inFlight[index] = task;
                    _ = task.ContinueWith(t => inFlight.TryRemove(index, out _), TaskScheduler.Default);
                }

                await Task.Delay(1, CancellationToken.None);
            }

            await Task.WhenAll(inFlight.Values.ToArray());
        }

        var result = await MeasureAsync(label, clock, warmup, window, progress, sampler, () => Volatile.Read(ref completed), [SchedulerAsync()], stop, cancellationToken);
        return result with { Latency = LatencyStats.From(samples.ToArray(), errors) };
    }

    private static async Task<WindowResult> MeasureAsync(string label, WindowClock clock, TimeSpan warmup, TimeSpan window, Progress progress,
        ResourceSampler? sampler, Func<int> completed, Task[] workers, CancellationTokenSource stop, CancellationToken cancellationToken, WindowHooks? hooks = null)
    {
        await using (progress.Ticker($"{label} warm-up", () => $"{Math.Max(0, (warmup - clock.SinceCreated).TotalSeconds):F0} s left"))
        {
            await Task.Delay(warmup, cancellationToken);
        }

        if (hooks is not null)
        {
            await hooks.BeforeBegin();
        }

        clock.Begin();
        sampler?.Start();
        await using (progress.Ticker(label, () => $"{completed()} done, {completed() / Math.Max(0.001, clock.SinceBegin.TotalSeconds):F0} req/s, {Math.Max(0, (window - clock.SinceBegin).TotalSeconds):F0} s left"))
        {
            await Task.Delay(window, cancellationToken);
        }

        clock.End();
        var resources = sampler is null ? null : await sampler.StopAsync();
        if (hooks is not null)
        {
            await hooks.AfterEnd();
        }

        stop.CancelAfter(Drain);
        await Task.WhenAll(workers);
        var seconds = clock.WindowSeconds;
        return new WindowResult(LatencyStats.Empty, seconds, completed() / seconds, resources);
    }

    /// <summary>Start and end of the measurement window, readable from any worker without locks.</summary>
    private sealed class WindowClock
    {
        private readonly long _created = Stopwatch.GetTimestamp();
        private long _begin = long.MaxValue;
        private long _end = long.MaxValue;

        public bool Ended => Volatile.Read(ref _end) != long.MaxValue;

        public TimeSpan SinceCreated => Stopwatch.GetElapsedTime(_created);

        public TimeSpan SinceBegin => Volatile.Read(ref _begin) == long.MaxValue ? TimeSpan.Zero : Stopwatch.GetElapsedTime(_begin);

        public double WindowSeconds => Stopwatch.GetElapsedTime(_begin, _end).TotalSeconds;

        public void Begin() => Volatile.Write(ref _begin, Stopwatch.GetTimestamp());

        public void End() => Volatile.Write(ref _end, Stopwatch.GetTimestamp());

        public bool Contains(long timestamp) => timestamp >= Volatile.Read(ref _begin) && timestamp <= Volatile.Read(ref _end);
    }
}
