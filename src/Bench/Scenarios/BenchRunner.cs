using System.Diagnostics;
using SoulBox.Bench.Baselines;
using SoulBox.Bench.Measurement;
using SoulBox.Bench.Results;
using SoulBox.Bench.Target;
using SoulBox.Client;

namespace SoulBox.Bench.Scenarios;

/// <summary>Runs the chosen scenarios in order against the target and the Docker baselines, filling
/// <see cref="BenchResults"/>. Each scenario prints a phase line; load windows tick while they run.</summary>
internal sealed partial class BenchRunner(BenchOptions options, Progress progress, BenchResults results, SoulBoxTarget target, DockerBaselines docker)
{
    public const string SoulBoxPrefix = "soulbox-";
    public const string DockerRun = "docker-run";
    public const string DockerExec = "docker-exec";
    /// <summary>A Jupyter kernel driven by jupyter_client (the peer a hosted code interpreter is).</summary>
    public const string JupyterKernel = "jupyter-kernel";

    /// <summary>Throughput sandboxes per driver, created lazily as the levels grow (level L uses min(L, max)).</summary>
    private readonly Dictionary<string, List<BenchSandbox>> _pool = [];

    private static string SystemOf(ISandboxDriver driver) => SoulBoxPrefix + driver.Name;

    /// <summary>A warm sandbox pool (PoolManagerGrain, design brief §2) shows up as its grain interface in the contract assembly.</summary>
    private static Type? PoolContract { get; } =
        typeof(SandboxInfo).Assembly.GetTypes().FirstOrDefault(t => t.IsInterface && t.Name.Contains("PoolManager", StringComparison.Ordinal));

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        results.Run.PoolAvailable = PoolContract is not null;
        await IdleAsync(cancellationToken);
        if (options.Scenarios.Contains("coldstart")) await ColdStartAsync(cancellationToken);
        if (options.Scenarios.Contains("pool")) await PoolAsync(cancellationToken);
        if (options.Scenarios.Contains("warm")) await WarmAsync(cancellationToken);

        // One transport at a time keeps at most --sandboxes throughput sandboxes alive (and the memory figures clean).
        foreach (var driver in target.Drivers.Where(d => !d.WarmAndColdOnly))
        {
            try
            {
                if (options.Scenarios.Contains("throughput")) await ThroughputAsync(driver, cancellationToken);
                if (options.Scenarios.Contains("cpu")) await CpuAsync(driver, cancellationToken);
            }
            finally
            {
                await ReleasePoolAsync(driver);
            }
        }

        if (options.Baselines && options.Jupyter && (options.Scenarios.Contains("warm") || options.Scenarios.Contains("throughput")))
        {
            await new JupyterBaselineScenario(options, progress, results, docker).RunAsync(cancellationToken);
        }

        if (options.Baselines && options.Scenarios.Contains("throughput")) await ThroughputBaselinesAsync(cancellationToken);
        if (options.Baselines && options.Scenarios.Contains("cpu")) await CpuBaselinesAsync(cancellationToken);

        if (options.Scenarios.Contains("languages") || options.Scenarios.Contains("batch")) await LanguagesAsync(cancellationToken);
        if (options.Scenarios.Contains("gateway")) Gateway();
    }

    private ResourceSampler SoulBoxSampler() =>
        new(target.SiloPid, ct => docker.ContainerIdsAsync(target.ContainerLabel, ct));

    private ResourceSampler BaselineSampler() =>
        new(null, ct => docker.ContainerIdsAsync(DockerBaselines.Label, ct));

    // ---------------------------------------------------------------- gateway

    private void Gateway()
    {
        progress.Phase("HTTP gateway overhead (HTTP round trip − client round trip, warm hello)");
        if (target.HttpUnavailable is { } reason)
        {
            progress.NotAvailable("gateway", reason);
            results.Skipped.Add(new SkipNote("gateway", reason));
            return;
        }

        var client = results.Series.FirstOrDefault(s => s is { Scenario: "warm", System: "soulbox-client" });
        var http = results.Series.FirstOrDefault(s => s is { Scenario: "warm", System: "soulbox-http" });
        if (client is null || http is null)
        {
            results.Skipped.Add(new SkipNote("gateway", "needs the warm scenario through both transports"));
            return;
        }

        results.Stages.Add(new StageTiming("gateway", "HTTP gateway added to a warm run (P50 / P99 differences)", http.Latency.P50Ms - client.Latency.P50Ms, http.Latency.P99Ms - client.Latency.P99Ms));
        progress.Info($"gateway adds {http.Latency.P50Ms - client.Latency.P50Ms:F2} ms at the median, {http.Latency.P99Ms - client.Latency.P99Ms:F2} ms at P99");
    }

    // ---------------------------------------------------------------- helpers

    private async Task<LatencyStats> SequentialAsync(string label, int iterations, int warmup, Func<CancellationToken, Task<string?>> request, CancellationToken cancellationToken)
    {
        var recorder = new LatencyRecorder();
        await using var ticker = progress.Ticker(label, () => $"{recorder.Samples.Count}/{iterations}");
        for (var i = -warmup; i < iterations; i++)
        {
            var started = Stopwatch.GetTimestamp();
            string? error;
            try
            {
                error = await request(cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                error = LatencyRecorder.KindOf(e);
            }

            if (i < 0)
            {
                continue;
            }

            if (error is null)
            {
                recorder.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            else
            {
                recorder.Error(error);
            }
        }

        return LatencyStats.From(recorder.Samples, recorder.Errors);
    }

    /// <summary>The sandbox's container: from the client's SandboxInfo, else by label (a container claimed from the
    /// warm pool was labelled before it had a sandbox, so the label may be missing).</summary>
    private async Task<string> ContainerIdOfAsync(BenchSandbox sandbox, CancellationToken cancellationToken)
    {
        if (sandbox.Handle is Sandbox { Info.ContainerId: { Length: > 0 } id })
        {
            return id;
        }

        return (await docker.ContainerIdsAsync($"soulbox.sandbox={sandbox.Id}", cancellationToken)).FirstOrDefault() ?? "";
    }

    private static async Task KillQuietlyAsync(ISandboxDriver driver, BenchSandbox sandbox)
    {
        try
        {
            await driver.KillAsync(sandbox);
        }
        catch (Exception)
        {
            // Best effort: an expired or lost sandbox has nothing left to release.
        }
    }
}
