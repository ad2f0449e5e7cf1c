using System.Diagnostics;
using SoulBox.Bench.Baselines;
using SoulBox.Bench.Measurement;
using SoulBox.Bench.Results;
using SoulBox.Bench.Target;
using SoulBox.Client;

namespace SoulBox.Bench.Scenarios;

// Warm execution: hello world in one existing sandbox, beside Docker exec.
internal sealed partial class BenchRunner
{
    private async Task WarmAsync(CancellationToken cancellationToken)
    {
        var workload = Workloads.Python;
        foreach (var driver in target.Drivers)
        {
            progress.Phase($"warm execution via {driver.Name}: print('Hello World') in one existing python sandbox, {options.WarmIterations} times");
            var sandbox = await driver.CreateAsync(workload.Template, cancellationToken);
            try
            {
                var rtt = new LatencyRecorder();
                var agent = new LatencyRecorder();
                await using (progress.Ticker("warm", () => $"{rtt.Samples.Count}/{options.WarmIterations}"))
                {
                    for (var i = -10; i < options.WarmIterations; i++)
                    {
                        var started = Stopwatch.GetTimestamp();
                        try
                        {
                            var run = await driver.RunAsync(sandbox, workload.Code, workload.Language, cancellationToken);
                            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                            if (i < 0)
                            {
                                continue;
                            }

                            if (run.Check(workload.ExpectedOutput) is { } error)
                            {
                                rtt.Error(error);
                            }
                            else
                            {
                                rtt.Record(ms);
                                agent.Record(run.AgentWallMs);
                            }
                        }
                        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                        {
                            rtt.Error(LatencyRecorder.KindOf(e));
                        }
                    }
                }

                var stats = LatencyStats.From(rtt.Samples, rtt.Errors);
                var inside = LatencyStats.From(agent.Samples);
                var overhead = LatencyStats.From(rtt.Samples.Zip(agent.Samples, (a, b) => a - b).ToList());
                results.Series.Add(new SeriesResult("warm", SystemOf(driver), "hello", stats));
                results.Stages.Add(new StageTiming("warm", $"{driver.Name}: round trip", stats.P50Ms, stats.P95Ms));
                if (driver.ReportsAgentTime)
                {
                    results.Stages.Add(new StageTiming("warm", $"{driver.Name}: inside the agent (kernel run)", inside.P50Ms, inside.P95Ms));
                    results.Stages.Add(new StageTiming("warm", $"{driver.Name}: transport + grain + agent protocol (round trip − agent)", overhead.P50Ms, overhead.P95Ms));
                }

                progress.Info($"{driver.Name}: P50 {stats.P50Ms:F2} ms, P95 {stats.P95Ms:F2} ms, P99 {stats.P99Ms:F2} ms" + (driver.ReportsAgentTime ? $" (agent {inside.P50Ms:F2} ms)" : "") + $", errors {stats.Errors}");

                if (driver is ClientDriver && sandbox.Handle is Sandbox handle)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                    var containerId = await ContainerIdOfAsync(sandbox, cancellationToken);
                    await docker.LocateAsync(containerId, cancellationToken);
                    results.IdleSandboxMb = ContainerMemory.WorkingSetBytes(containerId) / 1048576.0;
                    progress.Info($"idle warm python sandbox (after runs): {results.IdleSandboxMb:F1} MB cgroup working set");
                }
            }
            finally
            {
                await KillQuietlyAsync(driver, sandbox);
            }
        }

        if (options.Baselines)
        {
            progress.Phase($"warm execution baseline: docker exec python3 -c print into a warm container, {options.BaselineIterations} times");
            var container = await docker.WarmContainerAsync(workload.Template, cancellationToken);
            await docker.ExecAsync(container, workload, workload.DockerCommand, workload.ExpectedOutput, cancellationToken);
            var exec = await SequentialAsync("docker exec", options.BaselineIterations, 1,
                ct => docker.ExecAsync(container, workload, workload.DockerCommand, workload.ExpectedOutput, ct), cancellationToken);
            results.Series.Add(new SeriesResult("warm", DockerExec, "hello", exec));
            progress.Info($"docker exec: P50 {exec.P50Ms:F0} ms, P95 {exec.P95Ms:F0} ms, errors {exec.Errors}");
        }
    }
}
