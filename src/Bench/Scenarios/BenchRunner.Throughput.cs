using System.Collections.Concurrent;
using System.Diagnostics;
using SoulBox.Bench.Baselines;
using SoulBox.Bench.Measurement;
using SoulBox.Bench.Results;
using SoulBox.Bench.Target;

namespace SoulBox.Bench.Scenarios;

// Throughput by concurrent users (closed loop) and the sandboxes its levels share.
internal sealed partial class BenchRunner
{
    private async Task ThroughputAsync(ISandboxDriver driver, CancellationToken cancellationToken)
    {
        var workload = Workloads.Python;
        var levels = options.Users.Order().ToArray();
        var note = $"Throughput levels above {options.MaxSandboxes} users share {options.MaxSandboxes} sandboxes round-robin (user u runs in sandbox u mod {options.MaxSandboxes}); below, each user has its own sandbox.";
        if (levels.Max() > options.MaxSandboxes && !results.Run.Notes.Contains(note))
        {
            results.Run.Notes.Add(note);
        }

        foreach (var users in levels)
        {
            var sandboxes = await EnsurePoolAsync(driver, Math.Min(users, options.MaxSandboxes), cancellationToken);
            progress.Phase($"throughput via {driver.Name}: {users} users on {sandboxes.Count} sandboxes, fib(10), warm-up {options.Warmup.TotalSeconds:F0} s + window {options.Window.TotalSeconds:F0} s");
            var window = await LoadRunner.ClosedLoopAsync($"{users} users", users,
                async (user, ct) => (await driver.RunAsync(sandboxes[user % sandboxes.Count], Workloads.FibPython, workload.Language, ct)).Check(Workloads.FibOutput),
                options.Warmup, options.Window, progress, SoulBoxSampler(), cancellationToken);
            results.Throughput.Add(new ThroughputPoint(SystemOf(driver), users, sandboxes.Count, window.Rps, window.Latency, window.Resources));
            Report(window);
        }
    }

    private async Task ThroughputBaselinesAsync(CancellationToken cancellationToken)
    {
        var workload = Workloads.Python;
        var container = await docker.WarmContainerAsync(workload.Template, cancellationToken);
        foreach (var users in options.BaselineUsers.Order())
        {
            progress.Phase($"throughput baseline: docker exec fib(10), {users} concurrent, into one warm container");
            var exec = await LoadRunner.ClosedLoopAsync($"docker exec {users}", users,
                (_, ct) => docker.ExecAsync(container, workload, ["python3", "-c", Workloads.FibPython], Workloads.FibOutput, ct),
                options.Warmup, options.Window, progress, BaselineSampler(), cancellationToken);
            results.Throughput.Add(new ThroughputPoint(DockerExec, users, 1, exec.Rps, exec.Latency, exec.Resources));
            Report(exec);

            progress.Phase($"throughput baseline: docker run --rm fib(10), {users} concurrent");
            var run = await LoadRunner.ClosedLoopAsync($"docker run {users}", users,
                (_, ct) => DockerBaselines.RunRmAsync(workload.Template, workload, ["python3", "-c", Workloads.FibPython], Workloads.FibOutput, ct),
                options.Warmup, options.Window, progress, BaselineSampler(), cancellationToken);
            results.Throughput.Add(new ThroughputPoint(DockerRun, users, users, run.Rps, run.Latency, run.Resources));
            Report(run);
        }
    }

    private void Report(WindowResult window) => progress.Info(Describe(window));

    /// <summary>One line per load window: rate, latency, errors by kind, where the CPU went, memory.</summary>
    public static string Describe(WindowResult window)
    {
        var r = window.Resources;
        return $"{window.Rps:F0} req/s, P50 {window.Latency.P50Ms:F1} ms, P95 {window.Latency.P95Ms:F1} ms, P99 {window.Latency.P99Ms:F1} ms, errors {window.Latency.Errors}"
            + (window.Latency.Errors > 0 ? $" ({string.Join(", ", window.Latency.ErrorsByKind.Select(e => $"{e.Key}: {e.Value}"))})" : "")
            + (r is null ? "" : $"; CPU machine {r.MachineCpuPercent:F0} % (silo {r.SiloCpuPercent:F0} %, sandboxes {r.SandboxCpuPercent:F0} %, engine {r.EngineCpuPercent:F0} %, bench {r.BenchCpuPercent:F0} %, other {r.OtherCpuPercent:F0} %); silo RSS {r.SiloRssPeakMb:F0} MB, sandboxes {r.SandboxMemoryPeakMb:F0} MB in {r.Containers} containers");
    }

    private async Task<List<BenchSandbox>> EnsurePoolAsync(ISandboxDriver driver, int count, CancellationToken cancellationToken)
    {
        if (!_pool.TryGetValue(driver.Name, out var sandboxes))
        {
            _pool[driver.Name] = sandboxes = [];
        }

        if (sandboxes.Count >= count)
        {
            return sandboxes[..count];
        }

        var missing = count - sandboxes.Count;
        progress.Phase($"creating {missing} python sandboxes via {driver.Name} (4 at a time)");
        var created = new ConcurrentBag<BenchSandbox>();
        var failures = new ConcurrentQueue<Exception>();
        var started = Stopwatch.GetTimestamp();
        await using (progress.Ticker("creating", () => $"{created.Count}/{missing}"))
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, missing), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (_, ct) =>
            {
                try
                {
                    var sandbox = await driver.CreateAsync(Templates.Python, ct);
                    await driver.RunAsync(sandbox, Workloads.HelloPython, SoulBox.Languages.Python, ct);
                    created.Add(sandbox);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    failures.Enqueue(e);
                }
            });
        }

        sandboxes.AddRange(created);
        progress.Info($"{created.Count} created in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s" + (failures.IsEmpty ? "" : $", {failures.Count} failed (first: {failures.First().Message})"));
        if (sandboxes.Count == 0)
        {
            throw new InvalidOperationException($"no sandbox could be created via {driver.Name}: {failures.FirstOrDefault()?.Message}");
        }

        return sandboxes[..Math.Min(count, sandboxes.Count)];
    }

    private async Task ReleasePoolAsync(ISandboxDriver driver)
    {
        if (_pool.Remove(driver.Name, out var sandboxes) && sandboxes.Count > 0)
        {
            progress.Phase($"removing {sandboxes.Count} sandboxes via {driver.Name}");
            await Parallel.ForEachAsync(sandboxes, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (s, _) => await KillQuietlyAsync(driver, s));
        }
    }
}
