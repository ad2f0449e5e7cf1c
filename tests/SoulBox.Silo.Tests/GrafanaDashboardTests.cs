using System.Text.RegularExpressions;

namespace SoulBox.Silo.Tests;

/// <summary>deploy/grafana/soulbox.json stays importable and true to the code: valid JSON with unique panel ids and
/// places, a Prometheus query on every graph, and every SoulBox metric a query names is an instrument the code
/// creates (an instrument renamed or removed would otherwise leave an empty graph nobody notices).</summary>
public sealed partial class GrafanaDashboardTests
{
    private static readonly string Root = RepositoryRoot();

    [Fact]
    public void Dashboard_IsImportable_WithUniquePanelsAndAQueryOnEveryGraph()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "deploy", "grafana", "soulbox.json")));
        var dashboard = document.RootElement;
        Assert.Equal("soulbox", dashboard.GetProperty("uid").GetString());
        var panels = dashboard.GetProperty("panels").EnumerateArray().ToList();
        Assert.Equal(panels.Count, panels.Select(p => p.GetProperty("id").GetInt32()).Distinct().Count());
        Assert.Equal(panels.Count, panels.Select(p => Place(p)).Distinct().Count());
        foreach (var panel in panels.Where(p => p.GetProperty("type").GetString() != "row"))
        {
            var title = panel.GetProperty("title").GetString();
            var targets = panel.GetProperty("targets").EnumerateArray().ToList();
            Assert.True(targets.Count > 0, $"panel '{title}' has no query");
            Assert.All(targets, t => Assert.False(string.IsNullOrWhiteSpace(t.GetProperty("expr").GetString()), $"panel '{title}' has an empty query"));
            Assert.Equal("${datasource}", panel.GetProperty("datasource").GetProperty("uid").GetString());
        }
    }

    [Fact]
    public void Dashboard_NamesOnlyMetricsTheCodeDefines()
    {
        var instruments = Directory.EnumerateFiles(Path.Combine(Root, "src"), "*.cs", SearchOption.AllDirectories)
            .SelectMany(f => InstrumentName().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value))
            .ToHashSet();
        Assert.Contains("soulbox.requests.rejected", instruments);

        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "deploy", "grafana", "soulbox.json")));
        var queried = document.RootElement.GetProperty("panels").EnumerateArray()
            .Where(p => p.TryGetProperty("targets", out _))
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => (Panel: p.GetProperty("title").GetString(), Expr: t.GetProperty("expr").GetString()!)))
            .SelectMany(q => SoulBoxMetric().Matches(q.Expr).Select(m => (q.Panel, Metric: m.Value)))
            .ToList();
        foreach (var metric in new[] { "soulbox_requests_rejected_total", "soulbox_membership_changes_total", "soulbox_node_draining",
                     "soulbox_node_capacity", "soulbox_containers_reaped_total", "soulbox_pool_hits_total" })
        {
            Assert.Contains(queried, q => q.Metric == metric);
        }

        foreach (var (panel, metric) in queried)
        {
            Assert.True(instruments.Contains(InstrumentOf(metric)), $"panel '{panel}' queries {metric}, but no instrument {InstrumentOf(metric)} is created in src/");
        }
    }

    /// <summary>The OpenTelemetry instrument a Prometheus series comes from: the exporter turns dots into underscores and
    /// appends the unit (ms, s, By) and, for counters, _total; histograms add _bucket, _count and _sum.</summary>
    private static string InstrumentOf(string metric)
    {
        foreach (var suffix in new[] { "_bucket", "_count", "_sum", "_total" })
        {
            if (metric.EndsWith(suffix, StringComparison.Ordinal))
            {
                metric = metric[..^suffix.Length];
                break;
            }
        }

        foreach (var unit in new[] { "_milliseconds", "_seconds", "_bytes" })
        {
            if (metric.EndsWith(unit, StringComparison.Ordinal))
            {
                metric = metric[..^unit.Length];
                break;
            }
        }

        return metric.Replace('_', '.');
    }

    private static (int, int) Place(JsonElement panel)
    {
        var grid = panel.GetProperty("gridPos");
        return (grid.GetProperty("x").GetInt32(), grid.GetProperty("y").GetInt32());
    }

    [GeneratedRegex(@"\bCreate(?:Counter|UpDownCounter|Histogram|Gauge|ObservableGauge|ObservableCounter|ObservableUpDownCounter)(?:<[^>]+>)?\(\s*""(soulbox\.[a-z0-9.]+)""")]
    private static partial Regex InstrumentName();

    [GeneratedRegex(@"\bsoulbox_[a-z0-9_]+")]
    private static partial Regex SoulBoxMetric();

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SoulBox.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No SoulBox.sln above {AppContext.BaseDirectory}.");
    }
}
