using System.Globalization;
using SoulBox.Bench.Measurement;

namespace SoulBox.Bench.Target;

/// <summary><c>SoulBox.Bench e2b-warm [--iterations 1000] [--template code-interpreter-v1] [--gateway URL]</c>: the
/// issue's quick figure — median of N warm <c>runCode('1+1')</c> calls through E2B's official SDK against a node of its
/// own (or a running one), each timed inside node around the SDK call. Also prints the CPU time per call of the SDK's
/// node process and of the silo (robust to a loaded machine, unlike the latencies). Exit 0 when every call answered 2.</summary>
internal static class E2bWarmCommand
{
    private const string Code = "1+1";
    private const string Expected = "2";

    public const string Usage = "SoulBox.Bench e2b-warm [--iterations N (1000)] [--template T (code-interpreter-v1)] [--gateway http://127.0.0.1:PORT] [--out DIR]";

    public static async Task<int> RunAsync(string[] args)
    {
        var iterations = 1000;
        var template = "code-interpreter-v1";
        string? gateway = null;
        string? output = null;
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--iterations":
                    iterations = int.Parse(Value(), CultureInfo.InvariantCulture) is > 0 and var n ? n : throw new ArgumentException("--iterations must be positive");
                    break;
                case "--template":
                    template = Value();
                    break;
                case "--gateway":
                    gateway = Value().TrimEnd('/');
                    break;
                case "--out":
                    output = Value();
                    break;
                default:
                    throw new ArgumentException($"unknown e2b-warm argument '{args[i]}'; usage: {Usage}");
            }
        }

        var progress = new Progress();
        output = Path.GetFullPath(output ?? Path.Combine(NodeProcess.RepositoryRoot() ?? ".", "bench-results", "e2b-warm-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)));
        Directory.CreateDirectory(output);
        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };
        var cancellationToken = cancellation.Token;

        progress.Phase($"E2B SDK warm runCode('{Code}') × {iterations} ({template}) → {output}");
        await using var node = gateway is null ? await NodeProcess.StartAsync(output, 10, new Dictionary<string, string>(), progress, cancellationToken) : null;
        var baseAddress = new Uri(gateway ?? $"http://127.0.0.1:{node!.HttpPort}");
        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var apiKey = Environment.GetEnvironmentVariable("E2B_API_KEY") is { Length: > 0 } key ? key : E2bSdkDriver.DefaultApiKey;
        if (await E2bSdkDriver.ProbeAsync(http, apiKey, cancellationToken) is { } problem)
        {
            progress.NotAvailable("e2b-warm", problem);
            return 1;
        }

        await using var driver = await E2bSdkDriver.StartAsync(baseAddress, apiKey, Path.Combine(output, "e2b-driver.log"), 3600, progress, cancellationToken);
        var sandbox = await driver.CreateAsync(template, cancellationToken);
        try
        {
            var warmup = await driver.LoopAsync(sandbox, Code, Expected, Math.Min(50, iterations), cancellationToken);
            progress.Info($"warm-up: {warmup.SamplesMs.Count} calls, {warmup.Failures} failed{(warmup.LastFailure is { } w ? $" (last: {w})" : "")}");

            var sdkCpu0 = ProcFs.CpuTicks(driver.Pid);
            var siloCpu0 = node is null ? 0 : ProcFs.CpuTicks(node.Pid);
            var (samples, failures, lastFailure) = await driver.LoopAsync(sandbox, Code, Expected, iterations, cancellationToken);
            var sdkCpuMs = (ProcFs.CpuTicks(driver.Pid) - sdkCpu0) * 10.0 / iterations;
            var siloCpuMs = node is null ? double.NaN : (ProcFs.CpuTicks(node.Pid) - siloCpu0) * 10.0 / iterations;

            var stats = LatencyStats.From(samples);
            progress.Phase("result");
            progress.Info($"runCode('{Code}') through @e2b/code-interpreter 2.8.0 (e2b 2.51.0), node {driver.NodeVersion}: n {stats.Count}, failed {failures}{(lastFailure is { } f ? $" (last: {f})" : "")}");
            progress.Info($"median {stats.P50Ms:F2} ms, mean {stats.MeanMs:F2} ms, P95 {stats.P95Ms:F2} ms, P99 {stats.P99Ms:F2} ms, min {stats.MinMs:F2} ms, max {stats.MaxMs:F2} ms (target: median ≤ 3 ms)");
            progress.Info($"CPU per call: SDK node process {sdkCpuMs:F2} ms" + (node is null ? "" : $", silo {siloCpuMs:F2} ms") + " (10 ms /proc tick resolution, summed over the loop)");
            var machine = string.Join(' ', (ProcFs.TryRead("/proc/loadavg") ?? "").Split(' ').Take(3));
            progress.Info($"load average after the run: {machine} on {Environment.ProcessorCount} cores");
            await File.WriteAllTextAsync(Path.Combine(output, "e2b-warm.json"), System.Text.Json.JsonSerializer.Serialize(new
            {
                code = Code,
                template,
                iterations,
                failures,
                medianMs = stats.P50Ms,
                meanMs = stats.MeanMs,
                p95Ms = stats.P95Ms,
                p99Ms = stats.P99Ms,
                sdkCpuMsPerCall = sdkCpuMs,
                siloCpuMsPerCall = node is null ? (double?)null : siloCpuMs,
                loadAverage = machine,
            }), cancellationToken);
            return failures == 0 ? 0 : 1;
        }
        finally
        {
            await driver.KillAsync(sandbox);
        }
    }
}
