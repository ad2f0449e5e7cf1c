using System.Runtime.InteropServices;
using SoulBox.Bench.Baselines;
using SoulBox.Bench.Measurement;
using SoulBox.Bench.Results;
using SoulBox.Bench.Target;

namespace SoulBox.Bench.Scale;

/// <summary><c>SoulBox.Bench scale [options]</c>: the scale-out scenario. Exit codes: 0 done, 1 the run failed (partial
/// results are still written), 2 bad arguments. The ratio bar is reported, not enforced by the exit code: on a shared
/// machine it is a measurement, not a test.</summary>
internal static class ScaleCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var options = ScaleOptions.Parse(args[1..]);
        var progress = new Progress();
        var startedAt = DateTimeOffset.UtcNow;
        var output = Path.GetFullPath(options.OutputDirectory
            ?? Path.Combine(NodeProcess.RepositoryRoot() ?? ".", "bench-results", "scale-" + startedAt.ToString("yyyyMMdd-HHmmss")));
        Directory.CreateDirectory(output);

        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };

        var results = new ScaleResults
        {
            Run = new RunInfo
            {
                StartedAt = startedAt,
                Mode = options.Quick ? "quick" : "full",
                Command = "SoulBox.Bench " + string.Join(' ', args),
                Cores = Environment.ProcessorCount,
                MemoryMb = ProcFs.MemTotalBytes() / 1048576.0,
                Os = RuntimeInformation.OSDescription,
                Runtime = RuntimeInformation.FrameworkDescription,
                BuildConfiguration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Name,
            },
            Settings = options.Settings(),
        };
        progress.Phase($"SoulBox scale-out bench ({results.Run.Mode}) → {output}");
        await MeasureBackgroundLoadAsync(results.Run, progress, cancellation.Token);
        var failed = false;
        try
        {
            await using (var docker = new DockerBaselines())
            {
                results.Run.Docker = await docker.EngineVersionAsync(cancellation.Token);
                var info = await docker.Client.System.GetSystemInfoAsync(cancellation.Token);
                if (info.CgroupDriver != "cgroupfs")
                {
                    throw new InvalidOperationException($"the scale scenario creates parent cgroups as paths (cgroupfs driver); this engine uses the {info.CgroupDriver} driver");
                }
            }

            await new ScaleRunner(options, progress, results, output).RunAsync(cancellation.Token);
        }
        catch (Exception e) when (e is not ArgumentException)
        {
            failed = true;
            progress.Phase($"the run failed: {e.GetType().Name}: {e.Message}");
            results.Run.Notes.Add($"The run stopped early: {e.GetType().Name}: {e.Message}. Tables hold what was measured before.");
            Console.Error.WriteLine(e);
        }

        results.Run.DurationSeconds = progress.Elapsed.TotalSeconds;
        ScaleReport.WriteAll(output, results);
        if (results.Ratio2To1 is { } ratio)
        {
            progress.Phase($"ratio 2 ÷ 1 workers: {ratio:F2}× (bar ≥ {results.Settings.RatioBar:F1}×), {results.HeadroomFlags.Count} headroom flag(s)");
        }

        progress.Phase($"report: {Path.Combine(output, ScaleReport.ReportFile)}; figures: {Path.Combine(output, ScaleReport.ResultsFile)}");
        return failed ? 1 : 0;
    }

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
            run.Notes.Add($"**The machine was already {run.MachineBusyBeforePercent:F0} % busy before the run (load average {run.LoadAverageBefore})**: other work shared these {run.Cores} cores, so the figures are pessimistic and the headroom flags may be that work.");
        }
    }
}
