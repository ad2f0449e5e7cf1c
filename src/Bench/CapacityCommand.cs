using System.Globalization;
using SoulBox.Bench.Planning;
using SoulBox.Bench.Report;
using SoulBox.Bench.Scale;
using SoulBox.Bench.Target;

namespace SoulBox.Bench;

/// <summary><c>SoulBox.Bench capacity [--results FILE] [--hosts 1,2,4,...] [--host-cores N] [--target-rps N
/// [--price-per-core-hour X --price-per-gb-hour Y]]</c>: the scale-out model from a scale run's scale-results.json (the
/// newest under bench-results/ unless --results names one), and with --target-rps the single-node sizing from a bench
/// run's results.json.</summary>
internal static class CapacityCommand
{
    public static int Run(string[] args)
    {
        double? target = null, corePrice = null, gbPrice = null, hostCores = null;
        string? file = null;
        int[] hosts = ScaleReport.DefaultHosts;
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            double Number() => double.TryParse(Value(), CultureInfo.InvariantCulture, out var v) && v >= 0 ? v : throw new ArgumentException($"{args[i - 1]} needs a non-negative number");
            switch (args[i])
            {
                case "--target-rps": target = Number(); break;
                case "--results": file = Value(); break;
                case "--price-per-core-hour": corePrice = Number(); break;
                case "--price-per-gb-hour": gbPrice = Number(); break;
                case "--host-cores": hostCores = Number() is > 0 and var cores ? cores : throw new ArgumentException("--host-cores must be positive"); break;
                case "--hosts":
                    hosts = [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(h => int.TryParse(h, out var n) && n > 0 ? n : throw new ArgumentException("--hosts takes positive counts, e.g. 1,2,4,8"))];
                    break;
                default: throw new ArgumentException($"unknown capacity option '{args[i]}'");
            }
        }

        var printed = false;
        var scaleFile = file is not null ? (IsScale(file) ? file : null) : Latest(ScaleReport.ResultsFile);
        if (scaleFile is not null)
        {
            Console.WriteLine($"scale results: {scaleFile}");
            Console.Write(CapacityPlanner.FormatScaleOut(CapacityPlanner.ProjectScaleOut(ScaleReport.Load(scaleFile), hosts, hostCores)));
            printed = true;
        }

        if (target is > 0)
        {
            var benchFile = file is not null && !IsScale(file) ? file : Latest(ReportWriter.ResultsFile)
                ?? throw new ArgumentException("--target-rps needs a bench run's results.json (--results FILE or bench-results/*/results.json)");
            Console.WriteLine($"results: {benchFile}");
            Console.Write(CapacityPlanner.Format(CapacityPlanner.Compute(ReportWriter.Load(benchFile), target.Value, corePrice, gbPrice)));
            printed = true;
        }
        else if (target is not null)
        {
            throw new ArgumentException("--target-rps needs N > 0");
        }

        if (!printed)
        {
            throw new ArgumentException("no scale results to model: run `SoulBox.Bench scale` first, pass --results FILE, or give --target-rps N to size from a bench run");
        }

        return 0;
    }

    private static bool IsScale(string file) =>
        Path.GetFileName(file) == ScaleReport.ResultsFile || File.ReadAllText(file).Contains($"\"scenario\":\"{ScaleResults.Kind}\"", StringComparison.Ordinal);

    private static string? Latest(string fileName)
    {
        var directory = Path.Combine(NodeProcess.RepositoryRoot() ?? ".", "bench-results");
        return Directory.Exists(directory)
            ? Directory.EnumerateFiles(directory, fileName, SearchOption.AllDirectories).OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault()
            : null;
    }
}
