using System.Diagnostics;
using SoulBox.Bench.Baselines;
using SoulBox.Bench.Baselines.Jupyter;
using SoulBox.Bench.Measurement;
using SoulBox.Bench.Results;

namespace SoulBox.Bench.Scenarios;

/// <summary>The peer a hosted code interpreter (E2B's) really is: a Jupyter kernel driven by jupyter_client. Same
/// programs, same levels and windows as SoulBox's warm and throughput scenarios: warm hello in one kernel, then
/// fib(10) closed loop with one kernel per user up to <c>--sandboxes</c> (above, users share kernels round-robin
/// and queue for them). The client runs beside the kernel in its container and the bench talks to it over a Unix
/// socket, so the kernel baseline has no silo: its whole per-request CPU is in its containers' cgroups, to compare
/// with SoulBox's sandboxes + silo. It leaves out a gateway's HTTP/WebSocket layer, so it flatters the peer.</summary>
internal sealed class JupyterBaselineScenario(BenchOptions options, Progress progress, BenchResults results, DockerBaselines docker)
{
    public const string Scenario = "Jupyter kernel baseline";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        progress.Phase($"{Scenario}: jupyter_client → ipykernel over ZeroMQ ipc sockets in a mounted directory ({JupyterImage.Tag}, --network none)");
        if (await JupyterImage.EnsureAsync(docker.Client, options.BuildJupyter, progress, cancellationToken) is { } reason)
        {
            progress.NotAvailable(Scenario, reason);
            results.Skipped.Add(new SkipNote(Scenario, reason));
            return;
        }

        await using var kernels = new JupyterKernels(docker.Client);
        try
        {
            if (options.Scenarios.Contains("warm")) await WarmAsync(kernels, cancellationToken);
            if (options.Scenarios.Contains("throughput")) await ThroughputAsync(kernels, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // A baseline that breaks is a line in the report, not a failed SoulBox run.
            var why = $"stopped early: {e.GetType().Name}: {e.Message}";
            progress.Info($"{Scenario} {why}");
            results.Skipped.Add(new SkipNote(Scenario, why + " (rows above this point were measured)"));
        }

        progress.Phase($"removing {kernels.Count} Jupyter kernel containers");
    }

    private async Task WarmAsync(JupyterKernels kernels, CancellationToken cancellationToken)
    {
        var kernel = (await kernels.EnsureAsync(1, progress, cancellationToken))[0];
        progress.Phase($"warm execution via a Jupyter kernel: print('Hello World') in one kernel, {options.WarmIterations} times");
        var recorder = new LatencyRecorder();
        await using (progress.Ticker("warm kernel", () => $"{recorder.Samples.Count}/{options.WarmIterations}"))
        {
            for (var i = -10; i < options.WarmIterations; i++)
            {
                var started = Stopwatch.GetTimestamp();
                string? error;
                try
                {
                    error = (await kernel.ExecuteAsync(Workloads.HelloPython, cancellationToken)).Check(Workloads.HelloOutput);
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    error = LatencyRecorder.KindOf(e);
                }

                var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (i < 0)
                {
                    continue;
                }

                if (error is null)
                {
                    recorder.Record(ms);
                }
                else
                {
                    recorder.Error(error);
                }
            }
        }

        var stats = LatencyStats.From(recorder.Samples, recorder.Errors);
        results.Series.Add(new SeriesResult("warm", BenchRunner.JupyterKernel, "hello", stats));
        progress.Info($"Jupyter kernel: P50 {stats.P50Ms:F2} ms, P95 {stats.P95Ms:F2} ms, P99 {stats.P99Ms:F2} ms, errors {stats.Errors}");

        await docker.LocateAsync(kernel.ContainerId, cancellationToken);
        results.IdleJupyterKernelMb = ContainerMemory.WorkingSetBytes(kernel.ContainerId) / 1048576.0;
        progress.Info($"warm Jupyter kernel container (kernel + client, after runs): {results.IdleJupyterKernelMb:F1} MB cgroup working set");
    }

    private async Task ThroughputAsync(JupyterKernels kernels, CancellationToken cancellationToken)
    {
        foreach (var users in options.Users.Order())
        {
            var pool = await kernels.EnsureAsync(Math.Min(users, options.MaxSandboxes), progress, cancellationToken);
            progress.Phase($"throughput via Jupyter kernels: {users} users on {pool.Count} kernels, fib(10), warm-up {options.Warmup.TotalSeconds:F0} s + window {options.Window.TotalSeconds:F0} s");
            var window = await LoadRunner.ClosedLoopAsync($"kernel {users} users", users,
                async (user, ct) => (await pool[user % pool.Count].ExecuteAsync(Workloads.FibPython, ct)).Check(Workloads.FibOutput),
                options.Warmup, options.Window, progress, new ResourceSampler(null, ct => docker.ContainerIdsAsync(kernels.LabelFilter, ct)), cancellationToken);
            results.Throughput.Add(new ThroughputPoint(BenchRunner.JupyterKernel, users, pool.Count, window.Rps, window.Latency, window.Resources));
            progress.Info(BenchRunner.Describe(window));
        }
    }
}
