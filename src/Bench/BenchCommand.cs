using System.Diagnostics;
using System.Runtime.InteropServices;
using SoulBox.Bench.Baselines;
using SoulBox.Bench.Measurement;
using SoulBox.Bench.Planning;
using SoulBox.Bench.Report;
using SoulBox.Bench.Results;
using SoulBox.Bench.Scenarios;
using SoulBox.Bench.Target;

namespace SoulBox.Bench;

/// <summary><c>SoulBox.Bench [scenarios] [options]</c>: measure, write the report, compare with a baseline.
/// Exit codes: 0 done, 1 the run failed (partial results are still written), 2 bad arguments, 3 regression.</summary>
internal static class BenchCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var options = BenchOptions.Parse(args);
        var progress = new Progress();
        var startedAt = DateTimeOffset.UtcNow;
        var output = Path.GetFullPath(options.OutputDirectory
            ?? Path.Combine(NodeProcess.RepositoryRoot() ?? ".", "bench-results", startedAt.ToString("yyyyMMdd-HHmmss")));
        Directory.CreateDirectory(output);

        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };

        var results = new BenchResults { Run = Describe(options, args, startedAt) };
        progress.Phase($"SoulBox bench ({results.Run.Mode}) → {output}");
        await MeasureBackgroundLoadAsync(results.Run, progress, cancellation.Token);
        var failed = false;
        await using (var docker = new DockerBaselines())
        {
            try
            {
                results.Run.Docker = await docker.EngineVersionAsync(cancellation.Token);
                progress.Info(results.Run.Docker);
                await using var target = await SoulBoxTarget.ConnectAsync(options, output, progress, cancellation.Token);
                results.Run.Target = target.Description;
                results.Run.Transports = [.. target.Drivers.Select(d => d.Name)];
                if (target.HttpUnavailable is { } reason && options.Transports.Contains("http"))
                {
                    results.Skipped.Add(new SkipNote("HTTP gateway transport", reason));
                }

                if (target.E2bUnavailable is { } e2bReason)
                {
                    results.Skipped.Add(new SkipNote("E2B SDK transport", e2bReason));
                }

                await new BenchRunner(options, progress, results, target, docker).RunAsync(cancellation.Token);
                progress.Phase("stopping the node");
            }
            catch (Exception e) when (e is not ArgumentException)
            {
                failed = true;
                progress.Phase($"the run failed: {e.GetType().Name}: {e.Message}");
                results.Run.Notes.Add($"The run stopped early: {e.GetType().Name}: {e.Message}. Tables hold what was measured before.");
                Console.Error.WriteLine(e);
            }
        }

        results.Run.DurationSeconds = progress.Elapsed.TotalSeconds;
        Analysis.Complete(results);
        RegressionReport? regression = null;
        if (options.BaselineFile is { } baselineFile)
        {
            regression = Regression.Compare(baselineFile, ReportWriter.Load(baselineFile), results);
        }

        ReportWriter.WriteAll(output, results, regression);
        PrintSummary(progress, results, regression, output);
        return failed ? 1 : regression is { Alerts.Count: > 0 } ? 3 : 0;
    }

    /// <summary>Other work on the machine skews every figure; measure it before starting and say so in the report.</summary>
    private static async Task MeasureBackgroundLoadAsync(RunInfo run, Progress progress, CancellationToken cancellationToken)
    {
        var before = ProcFs.MachineCpu();
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        var after = ProcFs.MachineCpu();
        run.MachineBusyBeforePercent = after.Total == before.Total ? 0 : 100.0 * (after.Busy - before.Busy) / (after.Total - before.Total);
        run.LoadAverageBefore = string.Join(' ', (ProcFs.TryRead("/proc/loadavg") ?? "").Split(' ').Take(3));
        progress.Info($"machine before the run: {run.MachineBusyBeforePercent:F0} % CPU busy, load average {run.LoadAverageBefore}");
        if (run.MachineBusyBeforePercent > 15)
        {
            run.Notes.Add($"**The machine was already {run.MachineBusyBeforePercent:F0} % busy before the bench started (load average {run.LoadAverageBefore})**: other work shared these {run.Cores} cores during the run, so latency and throughput here are pessimistic and machine CPU % includes that work.");
        }
    }

    private static RunInfo Describe(BenchOptions options, string[] args, DateTimeOffset startedAt) => new()
    {
        StartedAt = startedAt,
        Mode = options.Quick ? "quick" : "full",
        Command = "SoulBox.Bench " + string.Join(' ', args),
        Cores = Environment.ProcessorCount,
        MemoryMb = ProcFs.MemTotalBytes() / 1048576.0,
        Os = RuntimeInformation.OSDescription,
        Runtime = RuntimeInformation.FrameworkDescription,
        BuildConfiguration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Name,
        Options = options.Describe(),
    };

    private static void PrintSummary(Progress progress, BenchResults results, RegressionReport? regression, string output)
    {
        progress.Phase("summary");
        foreach (var line in results.Summary)
        {
            progress.Info(line);
        }

        progress.Phase("goals on this machine");
        foreach (var goal in results.Goals)
        {
            progress.Info($"[{(goal.Met switch { true => "met ", false => "MISS", null => "n/a " })}] {goal.Goal}: {goal.Measured} — {goal.Detail}");
        }

        if (regression is not null)
        {
            progress.Phase($"regression check against {regression.BaselineFile}: {regression.Compared} metrics compared, {regression.Alerts.Count} regression(s)");
            foreach (var alert in regression.Alerts)
            {
                progress.Info($"ALERT {alert.Metric}: {alert.Baseline:F2} → {alert.Current:F2} ({alert.Ratio:F2}× > {alert.Limit}×)");
            }
        }

        progress.Phase($"report: {Path.Combine(output, ReportWriter.ReportFile)}");
        progress.Info($"raw figures: {Path.Combine(output, ReportWriter.ResultsFile)}; charts: {string.Join(", ", ReportWriter.ChartFiles)}");
    }
}
