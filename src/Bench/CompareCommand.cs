using SoulBox.Bench.Planning;
using SoulBox.Bench.Report;

namespace SoulBox.Bench;

/// <summary><c>SoulBox.Bench --compare BEFORE.json AFTER.json [--out FILE.md]</c>: prints every metric of two runs
/// side by side and writes the same as Markdown (default: compare-vs-&lt;before's directory&gt;.md beside AFTER).
/// Exit code 0 whatever moved (the regression check with limits is <c>--baseline</c>); 2 on bad arguments.</summary>
internal static class CompareCommand
{
    public static int Run(string[] args)
    {
        string? output = null;
        var files = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--out":
                    output = i + 1 < args.Length ? args[++i] : throw new ArgumentException("--out needs a file name");
                    break;
                case var option when option.StartsWith("--", StringComparison.Ordinal):
                    throw new ArgumentException($"unknown compare option '{option}'");
                default:
                    files.Add(args[i]);
                    break;
            }
        }

        if (files.Count != 2)
        {
            throw new ArgumentException($"--compare needs two results.json files (before, after); got {files.Count}");
        }

        foreach (var file in files.Where(f => !File.Exists(f)))
        {
            throw new ArgumentException($"no such results file: {file}");
        }

        var report = Comparison.Compare(files[0], ReportWriter.Load(files[0]), files[1], ReportWriter.Load(files[1]));
        foreach (var line in ComparisonWriter.Lines(report))
        {
            Console.WriteLine(line);
        }

        output ??= Path.Combine(Path.GetDirectoryName(Path.GetFullPath(files[1]))!,
            $"compare-vs-{Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(files[0])))}.md");
        File.WriteAllText(output, ComparisonWriter.Markdown(report));
        Console.WriteLine($"written: {output}");
        return 0;
    }
}
