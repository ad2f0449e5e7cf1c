using System.Diagnostics;
using SoulBox.Bench.Baselines;
using SoulBox.Bench.Measurement;
using SoulBox.Bench.Results;
using SoulBox.Bench.Target;

namespace SoulBox.Bench.Scenarios;

// Per language: startup, warm execution, one-shot runs (compile cache miss and hit), Docker baselines; and the batch
// comparison (BenchRunner.Batch.cs) for the `languages` and `batch` scenarios.
internal sealed partial class BenchRunner
{
    private async Task LanguagesAsync(CancellationToken cancellationToken)
    {
        var table = options.Scenarios.Contains("languages");
        if (target.Drivers.FirstOrDefault(d => !d.WarmAndColdOnly) is not { } driver)
        {
            const string reason = "needs the client or http transport (one-shot runs and batches; E2B's SDK has neither)";
            results.Skipped.Add(new SkipNote(table ? "languages" : "batch", reason));
            return;
        }

        foreach (var workload in Workloads.Languages.Where(l => options.Languages.Contains(l.Language)))
        {
            progress.Phase($"language {workload.Language} ({workload.Template}) via {driver.Name}");
            if (!await docker.ImageExistsAsync(workload.Template, cancellationToken))
            {
                var reason = $"image {DockerBaselines.ImageOf(workload.Template)} is not built (scripts/setup.sh builds it)";
                progress.NotAvailable(workload.Language, reason);
                if (table)
                {
                    results.Languages.Add(new LanguageResult(workload.Language, workload.Template, false, reason, null, null, null, null, null, null));
                }

                results.Batches.Add(BatchComparison.NotAvailable(workload.Language, workload.Template, reason));
                continue;
            }

            if (table)
            {
                await LanguageRowAsync(driver, workload, cancellationToken);
            }

            results.Batches.Add(await BatchComparisonAsync(driver, workload, cancellationToken));
        }
    }

    /// <summary>One row of the per-language table: sandbox startup, warm execution in the last sandbox and its memory,
    /// one-shot runs (compile cache miss and hit), and the Docker baselines.</summary>
    private async Task LanguageRowAsync(ISandboxDriver driver, LanguageWorkload workload, CancellationToken cancellationToken)
    {
        var compiled = SoulBox.Languages.Compiles(workload.Language);
        var starts = options.Quick ? 2 : 5;
        var runs = compiled ? (options.Quick ? 2 : 5) : (options.Quick ? 5 : 30);
        var startup = new LatencyRecorder();
        var execution = new LatencyRecorder();
        double? memory = null;
        await using (progress.Ticker(workload.Language, () => $"{startup.Samples.Count}/{starts} starts, {execution.Samples.Count} runs"))
        {
            for (var i = 0; i < starts; i++)
            {
                BenchSandbox? sandbox = null;
                try
                {
                    var started = Stopwatch.GetTimestamp();
                    sandbox = await driver.CreateAsync(workload.Template, cancellationToken);
                    startup.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    if (i < starts - 1)
                    {
                        continue;
                    }

                    // The last sandbox: first run warms the kernel (or the build cache), then measure.
                    await driver.RunAsync(sandbox, workload.Code, workload.Language, cancellationToken);
                    for (var r = 0; r < runs; r++)
                    {
                        var runStarted = Stopwatch.GetTimestamp();
                        var run = await driver.RunAsync(sandbox, workload.Code, workload.Language, cancellationToken);
                        if (run.Check(workload.ExpectedOutput) is { } error)
                        {
                            execution.Error(error);
                        }
                        else
                        {
                            execution.Record(Stopwatch.GetElapsedTime(runStarted).TotalMilliseconds);
                        }
                    }

                    var containerId = await ContainerIdOfAsync(sandbox, cancellationToken);
                    await docker.LocateAsync(containerId, cancellationToken);
                    memory = ContainerMemory.WorkingSetBytes(containerId) / 1048576.0;
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    (sandbox is null ? startup : execution).Error(LatencyRecorder.KindOf(e));
                    progress.Info($"{workload.Language}: {e.GetType().Name}: {e.Message}");
                }
                finally
                {
                    if (sandbox is not null)
                    {
                        await KillQuietlyAsync(driver, sandbox);
                    }
                }
            }
        }

        // Interpreted languages too: their "miss" and "hit" rows are the same one-shot run (no compile to cache).
        var oneShot = await OneShotCompiledAsync(driver, workload, runs, cancellationToken);
        LatencyStats? dockerRun = null, dockerExec = null;
        double? dockerMemory = null;
        if (options.Baselines)
        {
            var baselineRuns = compiled ? Math.Min(3, options.BaselineIterations) : options.BaselineIterations;
            dockerRun = await SequentialAsync($"docker run {workload.Language}", baselineRuns, 0,
                ct => DockerBaselines.RunRmAsync(workload.Template, workload, workload.DockerCommand, workload.ExpectedOutput, ct), cancellationToken);
            var container = await docker.WarmContainerAsync(workload.Template, cancellationToken);
            dockerExec = await SequentialAsync($"docker exec {workload.Language}", baselineRuns, 1,
                ct => docker.ExecAsync(container, workload, workload.DockerCommand, workload.ExpectedOutput, ct), cancellationToken);
            await docker.LocateAsync(container, cancellationToken);
            dockerMemory = ContainerMemory.WorkingSetBytes(container) / 1048576.0;
        }

        var row = new LanguageResult(workload.Language, workload.Template, true, null,
            LatencyStats.From(startup.Samples, startup.Errors), LatencyStats.From(execution.Samples, execution.Errors), memory, dockerRun, dockerExec, dockerMemory, oneShot);
        results.Languages.Add(row);
        progress.Info($"{workload.Language}: startup P50 {row.Startup!.P50Ms:F0} ms, execution P50 {row.Execution!.P50Ms:F1} ms, memory {memory:F1} MB"
            + (dockerRun is null ? "" : $"; docker run {dockerRun.P50Ms:F0} ms, docker exec {dockerExec!.P50Ms:F0} ms"));
    }

    /// <summary>One-shot runs of a compiled language's hello world: a new source each time (a comment with a fresh
    /// nonce, so the node's compile cache misses and it compiles), then the same source again and again (hits, after
    /// one run that stores the build).</summary>
    private async Task<OneShotCompileResult> OneShotCompiledAsync(ISandboxDriver driver, LanguageWorkload workload, int runs, CancellationToken cancellationToken)
    {
        progress.Phase($"one-shot {workload.Language}: compile cache miss (new source) and hit (same source) via {driver.Name}");
        var miss = new LatencyRecorder();
        var hit = new LatencyRecorder();
        var missCompile = new LatencyRecorder();
        var hitRun = new LatencyRecorder();
        var hitsReported = 0;
        var repeated = workload.Code + $"\n{workload.Comment} bench {Guid.NewGuid():N}{workload.CommentEnd}\n";
        await using (progress.Ticker($"one-shot {workload.Language}", () => $"{miss.Samples.Count} misses, {hit.Samples.Count} hits"))
        {
            for (var i = -1; i < runs * 2; i++)
            {
                // -1: the first run of the repeated source (a miss that stores the build), not measured.
                var isHit = i >= runs || i == -1;
                var code = isHit ? repeated : workload.Code + $"\n{workload.Comment} bench {Guid.NewGuid():N}{workload.CommentEnd}\n";
                try
                {
                    var started = Stopwatch.GetTimestamp();
                    var result = await driver.ExecuteAsync(code, workload.Language, null, null, cancellationToken);
                    var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    if (i == -1)
                    {
                        continue;
                    }

                    var recorder = isHit ? hit : miss;
                    if (result.Check(workload.ExpectedOutput) is { } error)
                    {
                        recorder.Error(error);
                        continue;
                    }

                    recorder.Record(elapsed);
                    if (isHit)
                    {
                        hitRun.Record(result.RunMs);
                        hitsReported += result.CompileCached ? 1 : 0;
                    }
                    else
                    {
                        missCompile.Record(result.CompileMs);
                    }
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    (isHit ? hit : miss).Error(LatencyRecorder.KindOf(e));
                    progress.Info($"one-shot {workload.Language}: {e.GetType().Name}: {e.Message}");
                }
            }
        }

        var oneShot = new OneShotCompileResult(LatencyStats.From(miss.Samples, miss.Errors), LatencyStats.From(hit.Samples, hit.Errors),
            LatencyStats.From(missCompile.Samples), LatencyStats.From(hitRun.Samples), hitsReported);
        var scenario = $"one-shot {workload.Language}";
        results.Stages.Add(new StageTiming(scenario, $"{driver.Name}: miss, round trip (new source)", oneShot.Miss.P50Ms, oneShot.Miss.P95Ms));
        results.Stages.Add(new StageTiming(scenario, "miss: compile stage (in the executor)", oneShot.MissCompileStage.P50Ms, oneShot.MissCompileStage.P95Ms));
        results.Stages.Add(new StageTiming(scenario, $"{driver.Name}: hit, round trip (same source)", oneShot.Hit.P50Ms, oneShot.Hit.P95Ms));
        results.Stages.Add(new StageTiming(scenario, "hit: run stage (in the executor; compile stage 0)", oneShot.HitRunStage.P50Ms, oneShot.HitRunStage.P95Ms));
        progress.Info($"one-shot {workload.Language}: miss P50 {oneShot.Miss.P50Ms:F0} ms (compile {oneShot.MissCompileStage.P50Ms:F0} ms), "
            + $"hit P50 {oneShot.Hit.P50Ms:F1} ms (run {oneShot.HitRunStage.P50Ms:F1} ms; {hitsReported}/{oneShot.Hit.Count} reported cached)");
        return oneShot;
    }
}
