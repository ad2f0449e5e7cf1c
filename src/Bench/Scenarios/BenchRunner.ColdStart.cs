using System.Diagnostics;
using SoulBox.Bench.Baselines;
using SoulBox.Bench.Measurement;
using SoulBox.Bench.Results;
using SoulBox.Bench.Target;

namespace SoulBox.Bench.Scenarios;

// Cold start (create a sandbox + first run) and the same with a warm pool.
internal sealed partial class BenchRunner
{
    private async Task ColdStartAsync(CancellationToken cancellationToken)
    {
        var workload = Workloads.Python;
        foreach (var driver in target.Drivers)
        {
            progress.Phase($"cold start via {driver.Name}: create a python sandbox + run print('Hello World'), {options.ColdIterations} times back to back"
                + (PoolContract is null ? " (no warm pool in this build: a container start per sandbox)" : " (the warm pool may run dry)"));
            var (total, create, firstRun, agent) = await MeasureColdAsync(driver, workload, options.ColdIterations, TimeSpan.Zero, cancellationToken);
            results.Series.Add(new SeriesResult("coldstart", SystemOf(driver), "create + hello", total));
            results.Stages.Add(new StageTiming("coldstart", $"{driver.Name}: create sandbox" + (PoolContract is null ? " (container start + agent connect)" : " (pool claim or container start)"), create.P50Ms, create.P95Ms));
            results.Stages.Add(new StageTiming("coldstart", $"{driver.Name}: first run (round trip)", firstRun.P50Ms, firstRun.P95Ms));
            if (driver.ReportsAgentTime)
            {
                results.Stages.Add(new StageTiming("coldstart", $"{driver.Name}: first run (inside the agent)", agent.P50Ms, agent.P95Ms));
            }

            progress.Info($"{driver.Name}: P50 {total.P50Ms:F0} ms (create {create.P50Ms:F0} + run {firstRun.P50Ms:F1}), P95 {total.P95Ms:F0} ms, errors {total.Errors}");
        }

        if (options.Baselines)
        {
            progress.Phase($"cold start baseline: docker run --rm python3 -c print, {options.BaselineIterations} times");
            var run = await SequentialAsync("docker run --rm", options.BaselineIterations, 1,
                ct => DockerBaselines.RunRmAsync(workload.Template, workload, workload.DockerCommand, workload.ExpectedOutput, ct), cancellationToken);
            results.Series.Add(new SeriesResult("coldstart", DockerRun, "create + hello", run));
            progress.Info($"docker run --rm: P50 {run.P50Ms:F0} ms, P95 {run.P95Ms:F0} ms, errors {run.Errors}");
        }
    }

    private async Task<(LatencyStats Total, LatencyStats Create, LatencyStats FirstRun, LatencyStats Agent)> MeasureColdAsync(
        ISandboxDriver driver, LanguageWorkload workload, int iterations, TimeSpan pause, CancellationToken cancellationToken)
    {
        var total = new LatencyRecorder();
        var create = new LatencyRecorder();
        var firstRun = new LatencyRecorder();
        var agent = new LatencyRecorder();
        await using var ticker = progress.Ticker("cold start", () => $"{total.Samples.Count}/{iterations}");
        for (var i = 0; i < iterations; i++)
        {
            BenchSandbox? sandbox = null;
            var started = Stopwatch.GetTimestamp();
            try
            {
                sandbox = await driver.CreateAsync(workload.Template, cancellationToken);
                var created = Stopwatch.GetTimestamp();
                var run = await driver.RunAsync(sandbox, workload.Code, workload.Language, cancellationToken);
                var ended = Stopwatch.GetTimestamp();
                if (run.Check(workload.ExpectedOutput) is { } error)
                {
                    total.Error(error);
                    continue;
                }

                total.Record(Stopwatch.GetElapsedTime(started, ended).TotalMilliseconds);
                create.Record(Stopwatch.GetElapsedTime(started, created).TotalMilliseconds);
                firstRun.Record(Stopwatch.GetElapsedTime(created, ended).TotalMilliseconds);
                agent.Record(run.AgentWallMs);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                total.Error(LatencyRecorder.KindOf(e));
            }
            finally
            {
                if (sandbox is not null)
                {
                    await KillQuietlyAsync(driver, sandbox);
                }
            }

            if (pause > TimeSpan.Zero)
            {
                await Task.Delay(pause, cancellationToken);
            }
        }

        return (LatencyStats.From(total.Samples, total.Errors), LatencyStats.From(create.Samples), LatencyStats.From(firstRun.Samples), LatencyStats.From(agent.Samples));
    }

    // ---------------------------------------------------------------- warm pool

    private async Task PoolAsync(CancellationToken cancellationToken)
    {
        progress.Phase("cold start with a warm pool");
        var poolContract = PoolContract;
        if (poolContract is null)
        {
            const string reason = "this build has no warm sandbox pool (no PoolManagerGrain); every sandbox creation starts a container, which the cold-start rows measure";
            progress.NotAvailable("warm-pool cold start", reason);
            results.Skipped.Add(new SkipNote("pool", reason));
            return;
        }

        progress.Info($"pool contract found ({poolContract.Name}); waiting 10 s for the pool to fill, then creating one sandbox every 0.5 s");
        await Task.Delay(TimeSpan.FromSeconds(10), cancellationToken);
        foreach (var driver in target.Drivers)
        {
            var (total, create, _, _) = await MeasureColdAsync(driver, Workloads.Python, options.ColdIterations, TimeSpan.FromMilliseconds(500), cancellationToken);
            results.Series.Add(new SeriesResult("pool", SystemOf(driver), "create + hello (warm pool)", total));
            results.Stages.Add(new StageTiming("pool", $"{driver.Name}: create sandbox from the pool", create.P50Ms, create.P95Ms));
            progress.Info($"{driver.Name}: P50 {total.P50Ms:F1} ms, P95 {total.P95Ms:F1} ms, errors {total.Errors}");
        }
    }
}
