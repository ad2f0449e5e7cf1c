using System.Globalization;
using System.Net;
using System.Text;

namespace SoulBox.Bench.Report;

/// <summary>A few hand-written SVG charts (no packages): horizontal bars on a log axis, lines over
/// categories, and grouped vertical bars. Enough for the report's figures; every chart is standalone SVG.</summary>
internal static class SvgCharts
{
    private static readonly string[] Palette = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#64748b"];

    public sealed record Series(string Name, IReadOnlyList<double?> Values);

    /// <summary>One row per label, one bar per series, log-scaled x axis (latencies span 1 ms to seconds).</summary>
    public static string HorizontalBarsLog(string title, string unit, IReadOnlyList<string> rows, IReadOnlyList<Series> series)
    {
        const int left = 260, right = 40, top = 50, barHeight = 10, gap = 12;
        var width = 900;
        var rowHeight = series.Count * barHeight + gap;
        var height = top + rows.Count * rowHeight + 60;
        var values = series.SelectMany(s => s.Values).Where(v => v is > 0).Select(v => v!.Value).ToList();
        var min = values.Count == 0 ? 0.1 : Math.Pow(10, Math.Floor(Math.Log10(values.Min())));
        var max = values.Count == 0 ? 1000 : Math.Pow(10, Math.Ceiling(Math.Log10(values.Max())));
        if (max <= min) max = min * 10;
        double X(double v) => left + (Math.Log10(Math.Max(v, min)) - Math.Log10(min)) / (Math.Log10(max) - Math.Log10(min)) * (width - left - right);

        var svg = Begin(width, height, title);
        for (var decade = min; decade <= max * 1.0001; decade *= 10)
        {
            var x = X(decade);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1='{x:F1}' y1='{top - 5}' x2='{x:F1}' y2='{height - 45}' stroke='#e5e7eb'/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x='{x:F1}' y='{height - 30}' text-anchor='middle' class='axis'>{Format(decade)} {unit}</text>");
        }

        for (var r = 0; r < rows.Count; r++)
        {
            var y0 = top + r * rowHeight;
            svg.Append(CultureInfo.InvariantCulture, $"<text x='{left - 8}' y='{y0 + series.Count * barHeight / 2.0 + 4:F1}' text-anchor='end' class='label'>{Escape(rows[r])}</text>");
            for (var s = 0; s < series.Count; s++)
            {
                if (series[s].Values[r] is not { } v || v <= 0)
                {
                    continue;
                }

                var y = y0 + s * barHeight;
                svg.Append(CultureInfo.InvariantCulture, $"<rect x='{left}' y='{y}' width='{Math.Max(1, X(v) - left):F1}' height='{barHeight - 1}' fill='{Palette[s % Palette.Length]}'><title>{Escape(rows[r])} {Escape(series[s].Name)}: {Format(v)} {unit}</title></rect>");
                svg.Append(CultureInfo.InvariantCulture, $"<text x='{X(v) + 4:F1}' y='{y + barHeight - 2}' class='value'>{Format(v)}</text>");
            }
        }

        Legend(svg, series.Select(s => s.Name).ToList(), left, height - 12);
        return End(svg);
    }

    /// <summary>Lines over evenly spaced categories (e.g. users 1, 10, 100, ...); missing points are skipped.</summary>
    public static string Lines(string title, string xTitle, string yTitle, IReadOnlyList<string> categories, IReadOnlyList<Series> series)
    {
        const int left = 80, right = 30, top = 50, bottom = 90;
        const int width = 900, height = 460;
        var values = series.SelectMany(s => s.Values).Where(v => v is not null).Select(v => v!.Value).ToList();
        var max = NiceMax(values.Count == 0 ? 1 : values.Max());
        double X(int i) => categories.Count == 1 ? left + (width - left - right) / 2.0 : left + i * (width - left - right) / (double)(categories.Count - 1);
        double Y(double v) => top + (1 - v / max) * (height - top - bottom);

        var svg = Begin(width, height, title);
        Axes(svg, left, top, width - right, height - bottom, max, Y);
        for (var i = 0; i < categories.Count; i++)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x='{X(i):F1}' y='{height - bottom + 18}' text-anchor='middle' class='axis'>{Escape(categories[i])}</text>");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<text x='{(left + width - right) / 2}' y='{height - bottom + 38}' text-anchor='middle' class='label'>{Escape(xTitle)}</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x='18' y='{(top + height - bottom) / 2}' transform='rotate(-90 18 {(top + height - bottom) / 2})' text-anchor='middle' class='label'>{Escape(yTitle)}</text>");
        for (var s = 0; s < series.Count; s++)
        {
            var color = Palette[s % Palette.Length];
            var points = series[s].Values.Select((v, i) => (v, i)).Where(p => p.v is not null).Select(p => $"{X(p.i):F1},{Y(p.v!.Value):F1}").ToList();
            if (points.Count > 1)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<polyline fill='none' stroke='{color}' stroke-width='2' points='{string.Join(' ', points)}'/>");
            }

            for (var i = 0; i < series[s].Values.Count; i++)
            {
                if (series[s].Values[i] is { } v)
                {
                    svg.Append(CultureInfo.InvariantCulture, $"<circle cx='{X(i):F1}' cy='{Y(v):F1}' r='4' fill='{color}'><title>{Escape(series[s].Name)} @ {Escape(categories[i])}: {Format(v)}</title></circle>");
                }
            }
        }

        Legend(svg, series.Select(s => s.Name).ToList(), left, height - 20);
        return End(svg);
    }

    /// <summary>Vertical bars grouped by category, one bar per series.</summary>
    public static string GroupedBars(string title, string yTitle, IReadOnlyList<string> categories, IReadOnlyList<Series> series)
    {
        const int left = 80, right = 30, top = 50, bottom = 90;
        const int width = 900, height = 460;
        var values = series.SelectMany(s => s.Values).Where(v => v is not null).Select(v => v!.Value).ToList();
        var max = NiceMax(values.Count == 0 ? 1 : values.Max());
        double Y(double v) => top + (1 - v / max) * (height - top - bottom);
        var groupWidth = (width - left - right) / (double)Math.Max(1, categories.Count);
        var barWidth = groupWidth * 0.8 / Math.Max(1, series.Count);

        var svg = Begin(width, height, title);
        Axes(svg, left, top, width - right, height - bottom, max, Y);
        svg.Append(CultureInfo.InvariantCulture, $"<text x='18' y='{(top + height - bottom) / 2}' transform='rotate(-90 18 {(top + height - bottom) / 2})' text-anchor='middle' class='label'>{Escape(yTitle)}</text>");
        for (var c = 0; c < categories.Count; c++)
        {
            var x0 = left + c * groupWidth + groupWidth * 0.1;
            svg.Append(CultureInfo.InvariantCulture, $"<text x='{left + (c + 0.5) * groupWidth:F1}' y='{height - bottom + 18}' text-anchor='middle' class='axis'>{Escape(categories[c])}</text>");
            for (var s = 0; s < series.Count; s++)
            {
                if (series[s].Values[c] is not { } v)
                {
                    continue;
                }

                var x = x0 + s * barWidth;
                svg.Append(CultureInfo.InvariantCulture, $"<rect x='{x:F1}' y='{Y(v):F1}' width='{barWidth - 2:F1}' height='{Y(0) - Y(v):F1}' fill='{Palette[s % Palette.Length]}'><title>{Escape(categories[c])} {Escape(series[s].Name)}: {Format(v)}</title></rect>");
                svg.Append(CultureInfo.InvariantCulture, $"<text x='{x + barWidth / 2 - 1:F1}' y='{Y(v) - 3:F1}' text-anchor='middle' class='value'>{Format(v)}</text>");
            }
        }

        Legend(svg, series.Select(s => s.Name).ToList(), left, height - 20);
        return End(svg);
    }

    private static void Axes(StringBuilder svg, int left, int top, int right, int bottom, double max, Func<double, double> y)
    {
        for (var i = 0; i <= 5; i++)
        {
            var v = max * i / 5;
            svg.Append(CultureInfo.InvariantCulture, $"<line x1='{left}' y1='{y(v):F1}' x2='{right}' y2='{y(v):F1}' stroke='#e5e7eb'/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x='{left - 6}' y='{y(v) + 4:F1}' text-anchor='end' class='axis'>{Format(v)}</text>");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<line x1='{left}' y1='{bottom}' x2='{right}' y2='{bottom}' stroke='#374151'/>");
    }

    private static void Legend(StringBuilder svg, IReadOnlyList<string> names, int x, int y)
    {
        var offset = 0.0;
        for (var i = 0; i < names.Count; i++)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<rect x='{x + offset:F1}' y='{y - 10}' width='12' height='12' fill='{Palette[i % Palette.Length]}'/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x='{x + offset + 16:F1}' y='{y}' class='label'>{Escape(names[i])}</text>");
            offset += 30 + names[i].Length * 7;
        }
    }

    private static StringBuilder Begin(int width, int height, string title)
    {
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' viewBox='0 0 {width} {height}' font-family='sans-serif'>");
        svg.Append("<style>.axis{font-size:11px;fill:#4b5563}.label{font-size:12px;fill:#111827}.value{font-size:10px;fill:#374151}.title{font-size:16px;font-weight:bold;fill:#111827}</style>");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width='{width}' height='{height}' fill='white'/>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x='{width / 2}' y='26' text-anchor='middle' class='title'>{Escape(title)}</text>");
        return svg;
    }

    private static string End(StringBuilder svg) => svg.Append("</svg>\n").ToString();

    private static double NiceMax(double value)
    {
        if (value <= 0) return 1;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (var step in new[] { 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10 })
        {
            if (step * magnitude >= value * 1.05) return step * magnitude;
        }

        return 10 * magnitude;
    }

    private static string Format(double v) => v switch
    {
        >= 100 => v.ToString("N0", CultureInfo.InvariantCulture),
        >= 10 => v.ToString("F1", CultureInfo.InvariantCulture),
        >= 1 => v.ToString("F2", CultureInfo.InvariantCulture),
        _ => v.ToString("G2", CultureInfo.InvariantCulture),
    };

    private static string Escape(string text) => WebUtility.HtmlEncode(text);
}
