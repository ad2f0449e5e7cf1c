using System.Diagnostics;

namespace SoulBox.Bench;

/// <summary>What the operator sees while the bench runs: a line per phase with the elapsed time, and a
/// ticking counter during measurement windows (in place on a terminal, a line every few seconds otherwise).</summary>
internal sealed class Progress
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly Lock _gate = new();
    private readonly bool _interactive = !Console.IsOutputRedirected;

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_started);

    public void Phase(string message) => Line($"== {message}");

    public void Info(string message) => Line($"   {message}");

    public void NotAvailable(string scenario, string reason) => Line($"   {scenario}: not available — {reason}; skipped");

    private void Line(string text)
    {
        lock (_gate)
        {
            if (_interactive)
            {
                Console.Write("\r\u001b[K");
            }

            Console.WriteLine($"[{Elapsed:mm\\:ss}] {text}");
        }
    }

    /// <summary>Prints <paramref name="status"/> every second (in place) until disposed.</summary>
    public IAsyncDisposable Ticker(string label, Func<string> status)
    {
        var cts = new CancellationTokenSource();
        var task = Task.Run(async () =>
        {
            var ticks = 0;
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            try
            {
                while (await timer.WaitForNextTickAsync(cts.Token))
                {
                    ticks++;
                    var text = $"[{Elapsed:mm\\:ss}]    {label}: {status()}";
                    lock (_gate)
                    {
                        if (_interactive)
                        {
                            Console.Write("\r\u001b[K" + text);
                        }
                        else if (ticks % 5 == 0)
                        {
                            Console.WriteLine(text);
                        }
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        return new TickerHandle(cts, task, this);
    }

    private void EndTicker()
    {
        lock (_gate)
        {
            if (_interactive)
            {
                Console.Write("\r\u001b[K");
            }
        }
    }

    private sealed class TickerHandle(CancellationTokenSource cts, Task task, Progress owner) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await cts.CancelAsync();
            await task;
            cts.Dispose();
            owner.EndTicker();
        }
    }
}
