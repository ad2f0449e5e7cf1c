using SoulBox.Bench.Measurement;
using SoulBox.Bench.Results;
using SoulBox.Bench.Target;

namespace SoulBox.Bench.Scenarios;

// CPU at offered load (open loop).
internal sealed partial class BenchRunner
{
    private async Task CpuAsync(ISandboxDriver driver, CancellationToken cancellationToken)
    {
        var workload = Workloads.Python;
        var sandboxes = await EnsurePoolAsync(driver, options.MaxSandboxes, cancellationToken);
        foreach (var rate in options.Rates)
        {
            progress.Phase($"CPU via {driver.Name}: {rate} req/s offered (open loop) on {sandboxes.Count} sandboxes, fib(10)");
            var window = await LoadRunner.OpenLoopAsync($"{rate} req/s", rate,
                async (i, ct) => (await driver.RunAsync(sandboxes[i % sandboxes.Count], Workloads.FibPython, workload.Language, ct)).Check(Workloads.FibOutput),
                options.Warmup, options.Window, progress, SoulBoxSampler(), maxOutstanding: 2000, cancellationToken);
            results.Cpu.Add(new CpuPoint(SystemOf(driver), rate, window.Rps, window.Latency, window.Resources!));
            Report(window);
        }
    }

    private async Task CpuBaselinesAsync(CancellationToken cancellationToken)
    {
        var workload = Workloads.Python;
        var container = await docker.WarmContainerAsync(workload.Template, cancellationToken);
        foreach (var rate in options.Rates.Order().Take(2))
        {
            progress.Phase($"CPU baseline: docker exec fib(10) at {rate} req/s offered (at most 20 in flight)");
            var window = await LoadRunner.OpenLoopAsync($"docker exec {rate} req/s", rate,
                (_, ct) => docker.ExecAsync(container, workload, ["python3", "-c", Workloads.FibPython], Workloads.FibOutput, ct),
                options.Warmup, options.Window, progress, BaselineSampler(), maxOutstanding: 20, cancellationToken);
            results.Cpu.Add(new CpuPoint(DockerExec, rate, window.Rps, window.Latency, window.Resources!));
            Report(window);
        }
    }
}
