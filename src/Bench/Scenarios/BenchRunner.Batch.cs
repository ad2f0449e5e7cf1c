using System.Diagnostics;
using SoulBox.Bench.Measurement;
using SoulBox.Bench.Results;
using SoulBox.Bench.Target;

namespace SoulBox.Bench.Scenarios;

// Per language: one batch of test cases against the same cases as one-shot calls one after another (issue 11).
internal sealed partial class BenchRunner
{
    /// <summary>Run limit of every case and every one-shot call alike. A batch must fit the compile timeout plus every
    /// case's limit into the node's MaxBatchTimeMs (600 s), which 20 cases at the default 30 s would pass.</summary>
    private const int CaseRunTimeoutMs = 10_000;

    /// <summary>A round that took longer than this stops the comparison for the language (the rounds left would
    /// only repeat it): a batch or a call sequence stuck at its limits, not a figure.</summary>
    private static readonly TimeSpan SlowRound = TimeSpan.FromMinutes(2);

    /// <summary>The language's sum program (<see cref="LanguageWorkload.SumCode"/>) as one batch of
    /// <see cref="Workloads.SumCases"/> and as one one-shot call per case, one after another. One unmeasured warm-up
    /// round first (the node compiles the program once and keeps it in its compile cache; the executors start), then
    /// <see cref="BenchOptions.BatchRounds"/> rounds, the two sides in turn within each round so a slow moment of the
    /// machine falls on both. A side whose verdicts or outputs are not all accepted is an error in that round.</summary>
    private async Task<BatchComparison> BatchComparisonAsync(ISandboxDriver driver, LanguageWorkload workload, CancellationToken cancellationToken)
    {
        var cases = Workloads.SumCases;
        var rounds = options.BatchRounds;
        progress.Phase($"batch {workload.Language}: 1 batch of {cases.Count} cases vs {cases.Count} one-shot calls one after another via {driver.Name}, warm-up + {rounds} round(s)"
            + (options.BatchParallelism is { } most ? $", at most {most} case(s) at once" : ""));
        var batch = new LatencyRecorder();
        var oneShots = new LatencyRecorder();
        var onNode = new LatencyRecorder();
        var parallelism = 0;
        var cachedRounds = 0;
        string? firstFailure = null;
        int? batchStarts = 0, callsStarts = 0;

        // Containers of the template the node started while fn ran (null once /metrics could not be read).
        async Task<double> CountingStartsAsync(Func<Task<double>> fn, bool measured, Action<int?> add)
        {
            var before = measured ? await target.ContainerStartsAsync(cancellationToken) : null;
            var elapsed = await fn();
            if (measured)
            {
                var after = await target.ContainerStartsAsync(cancellationToken);
                add(before is null || after is null ? null : after.GetValueOrDefault(workload.Template) - before.GetValueOrDefault(workload.Template));
            }

            return elapsed;
        }

        void Failed(LatencyRecorder recorder, string kind, string detail)
        {
            recorder.Error(kind);
            firstFailure ??= detail;
            progress.Info($"batch {workload.Language}: {detail}");
        }

        async Task<double> BatchAsync(bool measured)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                var result = await driver.ExecuteBatchAsync(workload.SumCode, workload.Language, cases, CaseRunTimeoutMs, options.BatchParallelism, cancellationToken);
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (result.Check(cases.Count) is { } error)
                {
                    Failed(batch, error, $"batch: {result.FirstFailure ?? error}");
                }
                else if (measured)
                {
                    batch.Record(elapsed);
                    onNode.Record(result.NodeElapsedMs);
                    parallelism = Math.Max(parallelism, result.Parallelism);
                    cachedRounds += result.CompileCached ? 1 : 0;
                }

                return elapsed;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                Failed(batch, LatencyRecorder.KindOf(e), $"batch: {e.GetType().Name}: {e.Message}");
                return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        }

        async Task<double> OneShotsAsync(bool measured)
        {
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < cases.Count; i++)
            {
                try
                {
                    var result = await driver.ExecuteAsync(workload.SumCode, workload.Language, cases[i].Stdin, CaseRunTimeoutMs, cancellationToken);
                    if (result.Judge(cases[i].ExpectedOutput) is { } error)
                    {
                        Failed(oneShots, error, $"one-shot call {i}: {error}, stdout '{result.Stdout.Trim()}' (expected '{cases[i].ExpectedOutput.Trim()}')");
                        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    }
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    Failed(oneShots, LatencyRecorder.KindOf(e), $"one-shot call {i}: {e.GetType().Name}: {e.Message}");
                    return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                }
            }

            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (measured)
            {
                oneShots.Record(elapsed);
            }

            return elapsed;
        }

        await using (progress.Ticker($"batch {workload.Language}", () => $"{batch.Samples.Count} batches, {oneShots.Samples.Count} call sequences of {rounds}"))
        {
            // Round 0 warms up: errors there count (a wrong program fails every round alike), times do not.
            for (var round = 0; round <= rounds; round++)
            {
                var measured = round > 0;
                Task<double> Batch() => CountingStartsAsync(() => BatchAsync(measured), measured, n => batchStarts += n);
                var batchMs = round % 2 == 0 ? await Batch() : 0;
                var callsMs = await CountingStartsAsync(() => OneShotsAsync(measured), measured, n => callsStarts += n);
                batchMs = round % 2 == 1 ? await Batch() : batchMs;
                if (batchMs > SlowRound.TotalMilliseconds || callsMs > SlowRound.TotalMilliseconds)
                {
                    Failed(batch, "slow round", $"round {round} took {batchMs / 1000:F0} s (batch) and {callsMs / 1000:F0} s (calls); the rounds left are skipped");
                    break;
                }
            }
        }

        var comparison = new BatchComparison(workload.Language, workload.Template, true, null, cases.Count, rounds,
            LatencyStats.From(batch.Samples, batch.Errors), LatencyStats.From(oneShots.Samples, oneShots.Errors), LatencyStats.From(onNode.Samples),
            parallelism, cachedRounds, firstFailure, (double?)batchStarts / rounds, (double?)callsStarts / rounds);
        progress.Info($"batch {workload.Language}: batch of {cases.Count} median {comparison.Batch!.P50Ms:F0} ms (node {comparison.BatchOnNode!.P50Ms:F0} ms, "
            + $"{parallelism} at once{(SoulBox.Languages.Compiles(workload.Language) ? $", compile cached {cachedRounds}/{comparison.Batch.Count}" : "")}), "
            + $"{cases.Count} one-shot calls median {comparison.OneShots!.P50Ms:F0} ms: calls ÷ batch = {comparison.Speedup:F2}×; "
            + $"containers started per round: batch {comparison.BatchContainerStarts:F1}, calls {comparison.CallsContainerStarts:F1}"
            + (comparison.Batch.Errors + comparison.OneShots.Errors > 0 ? $"; errors: batch {comparison.Batch.Errors}, calls {comparison.OneShots.Errors}" : ""));
        return comparison;
    }
}
