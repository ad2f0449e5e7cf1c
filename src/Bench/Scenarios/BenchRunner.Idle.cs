using System.Diagnostics;
using SoulBox.Bench.Results;

namespace SoulBox.Bench.Scenarios;

// The idle footprint: the node alone once its warm pool is filled.
internal sealed partial class BenchRunner
{
    private async Task IdleAsync(CancellationToken cancellationToken)
    {
        var (settle, window) = options.Quick ? (TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)) : (TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));
        progress.Phase($"idle: {BenchResults.IdleNodeLabel} (no sandboxes; {window.TotalSeconds:F0} s after the pool holds a warm container per core template and {settle.TotalSeconds:F0} s to settle)");
        await WaitForFilledPoolAsync(options.Quick ? TimeSpan.FromSeconds(60) : TimeSpan.FromSeconds(120), cancellationToken);
        await Task.Delay(settle, cancellationToken);
        var sampler = SoulBoxSampler();
        sampler.Start();
        await Task.Delay(window, cancellationToken);
        results.IdleNode = await sampler.StopAsync();
        progress.Info($"{BenchResults.IdleNodeLabel}: {results.IdleNode.SiloRssMeanMb:F1} MB (silo CPU {results.IdleNode.SiloCpuPercent:F1} %, machine CPU {results.IdleNode.MachineCpuPercent:F1} %, " +
            $"{results.IdleNode.Containers} containers, warm {string.Join(", ", results.IdleNodeWarmContainers.Select(w => $"{w.Key} {w.Value}"))})");
    }

    /// <summary>Waits until the node's warm pool holds a container for every template it keeps warm without demand (its
    /// gauge on /metrics), so the idle figure is the node as it stands ready to serve; records what it saw either way.</summary>
    private async Task WaitForFilledPoolAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        // Registered templates are warmed on demand only (SoulBox:Templates:<name>:MinWarm defaults to 0), and so are
        // the language templates (gcc, rust, scripting, ...: PoolOptions' warm floor is 0 for Templates.Optional).
        var templates = (await target.Client.GetTemplatesAsync(cancellationToken))
            .Where(t => t.Available && !t.Custom && !Templates.Optional.Contains(t.Name)).Select(t => t.Name).ToList();
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var warm = await target.WarmContainersAsync(cancellationToken);
            results.IdleNodeWarmContainers = warm ?? [];
            results.IdleNodePoolFilled = warm is not null && templates.All(t => warm.GetValueOrDefault(t) > 0);
            if (results.IdleNodePoolFilled)
            {
                progress.Info($"warm pool filled after {waited.Elapsed.TotalSeconds:F1} s: {string.Join(", ", warm!.Select(w => $"{w.Key} {w.Value}"))}");
                return;
            }

            if (warm is null || waited.Elapsed > timeout)
            {
                progress.Info(warm is null
                    ? "warm pool: the node's /metrics does not answer; sampling without knowing whether the pool is filled"
                    : $"warm pool NOT filled after {timeout.TotalSeconds:F0} s (warm: {string.Join(", ", warm.Select(w => $"{w.Key} {w.Value}"))}; templates: {string.Join(", ", templates)}); sampling anyway");
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }
    }
}
