using System.Globalization;
using System.Text;
using SoulBox.Bench.Planning;
using SoulBox.Bench.Results;

namespace SoulBox.Bench.Report;

/// <summary>Renders a <see cref="ComparisonReport"/> as a Markdown table (written to a file) and as aligned text
/// (printed), both with every metric, its before and after, the ratio and the verdict.</summary>
internal static class ComparisonWriter
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static string Markdown(ComparisonReport report)
    {
        var md = new StringBuilder();
        md.AppendLine("# SoulBox benchmark: before / after");
        md.AppendLine();
        md.AppendLine(C, $"* Before: `{report.BeforeFile}` — {Describe(report.BeforeRun)}");
        md.AppendLine(C, $"* After: `{report.AfterFile}` — {Describe(report.AfterRun)}");
        md.AppendLine(C, $"* {Totals(report)}. Ratio = after ÷ before; \"same\" = within ±{Comparison.NoiseBand:P0}; the better direction comes from the metric's name (`_ms`, `_mb`, `errors`, CPU per request, CPU at a fixed offered rate: lower; `rps`, `speedup`: higher; CPU % of a closed-loop window: neither).");
        if (report.BeforeRun.Mode != report.AfterRun.Mode)
        {
            md.AppendLine(C, $"* **The runs differ in mode ({report.BeforeRun.Mode} vs {report.AfterRun.Mode})**: levels and windows differ, so do the figures.");
        }

        md.AppendLine();
        md.AppendLine("| Metric | Before | After | After ÷ before | Better when | Verdict |");
        md.AppendLine("|---|---|---|---|---|---|");
        foreach (var c in report.Changes)
        {
            md.AppendLine(C, $"| {c.Metric} | {Number(c.Before)} | {Number(c.After)} | {RatioText(c)} | {Direction(c.Better)} | {(c.Verdict is Verdict.Worse ? "**worse**" : Word(c.Verdict))} |");
        }

        return md.ToString();
    }

    /// <summary>Aligned columns for a terminal, one metric a line.</summary>
    public static IEnumerable<string> Lines(ComparisonReport report)
    {
        yield return $"before: {report.BeforeFile} — {Describe(report.BeforeRun)}";
        yield return $"after:  {report.AfterFile} — {Describe(report.AfterRun)}";
        var width = Math.Max(6, report.Changes.Select(c => c.Metric.Length).DefaultIfEmpty(0).Max());
        yield return $"{"metric".PadRight(width)}  {"before",12}  {"after",12}  {"after÷before",12}  {"better",6}  verdict";
        foreach (var c in report.Changes)
        {
            yield return $"{c.Metric.PadRight(width)}  {Number(c.Before),12}  {Number(c.After),12}  {RatioText(c),12}  {Direction(c.Better),6}  {Word(c.Verdict)}";
        }

        yield return Totals(report);
    }

    private static string Totals(ComparisonReport report) =>
        $"{report.Changes.Count} metrics: {report.Count(Verdict.Better)} better, {report.Count(Verdict.Worse)} worse, {report.Count(Verdict.Same)} same, "
        + $"{report.Count(Verdict.Changed)} changed without a better direction, {report.Count(Verdict.OnlyBefore)} only before, {report.Count(Verdict.OnlyAfter)} only after";

    private static string Describe(RunInfo run) =>
        string.Create(C, $"{run.StartedAt:yyyy-MM-dd HH:mm} UTC, {run.Mode}, {run.Cores} cores, machine {run.MachineBusyBeforePercent:F0} % busy before it started, `{run.Command}`");

    private static string Number(double? value) => value switch
    {
        null => "—",
        double v when Math.Abs(v) >= 1000 => v.ToString("N0", C),
        double v when Math.Abs(v) >= 10 => v.ToString("F1", C),
        double v => v.ToString("F3", C),
    };

    private static string RatioText(MetricChange c) => c.Ratio switch
    {
        null => "—",
        double r when double.IsPositiveInfinity(r) => "from 0",
        double r => r.ToString("F2", C) + "×",
    };

    private static string Direction(Better better) => better switch
    {
        Better.Lower => "lower",
        Better.Higher => "higher",
        _ => "—",
    };

    private static string Word(Verdict verdict) => verdict switch
    {
        Verdict.Better => "better",
        Verdict.Worse => "worse",
        Verdict.Same => "same",
        Verdict.Changed => "changed",
        Verdict.OnlyBefore => "only before",
        _ => "only after",
    };
}
