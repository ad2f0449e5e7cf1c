using System.Globalization;

namespace SoulBox.Bench.Scale;

/// <summary>A silo's Orleans counters from its Prometheus endpoint (<c>/metrics</c>, the Microsoft.Orleans meter), each
/// summed over its label sets: read before and after a window, their difference per request says what routing one
/// request costs (messages, directory lookups...).</summary>
internal static class OrleansCounters
{
    public static async Task<Dictionary<string, double>> ReadAsync(HttpClient http, int httpPort, CancellationToken cancellationToken)
    {
        try
        {
            var text = await http.GetStringAsync($"http://127.0.0.1:{httpPort}/metrics", cancellationToken);
            return Parse(text);
        }
        catch (HttpRequestException)
        {
            return [];
        }
    }

    public static Dictionary<string, double> Parse(string exposition)
    {
        var sums = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in exposition.Split('\n'))
        {
            if (!line.StartsWith("orleans_", StringComparison.Ordinal))
            {
                continue;
            }

            var nameEnd = line.IndexOfAny(['{', ' ']);
            var valueStart = line.LastIndexOf(' ');
            if (nameEnd <= 0 || valueStart <= 0)
            {
                continue;
            }

            // Histograms: only their _count and _sum are additive like counters; buckets are not.
            var name = line[..nameEnd];
            if (name.EndsWith("_bucket", StringComparison.Ordinal))
            {
                continue;
            }

            var valueText = line[(valueStart + 1)..].Trim();
            if (double.TryParse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value))
            {
                sums[name] = sums.GetValueOrDefault(name) + value;
            }
        }

        return sums;
    }

    /// <summary>Growth of each counter from <paramref name="before"/> to <paramref name="after"/> per request (gauges
    /// that fell are left out: only what grew is a cost).</summary>
    public static Dictionary<string, double> PerRequest(Dictionary<string, double> before, Dictionary<string, double> after, double requests) =>
        requests <= 0 ? [] : after
            .Where(a => a.Value - before.GetValueOrDefault(a.Key) > 0)
            .ToDictionary(a => a.Key, a => (a.Value - before.GetValueOrDefault(a.Key)) / requests);

    public static Dictionary<string, double> Add(Dictionary<string, double> a, Dictionary<string, double> b)
    {
        var sum = new Dictionary<string, double>(a, StringComparer.Ordinal);
        foreach (var (key, value) in b)
        {
            sum[key] = sum.GetValueOrDefault(key) + value;
        }

        return sum;
    }

    /// <summary>The figures of a per-request counter set the report and the capacity model use: Orleans messages sent,
    /// grain-directory lookups (through the directory cache) and the share of them the cache answered, and lookups
    /// that had to ask another silo.</summary>
    public static RoutingCost Routing(Dictionary<string, double> perRequest)
    {
        double Sum(Func<string, bool> match) => perRequest.Where(m => match(m.Key)).Sum(m => m.Value);
        var messages = Sum(k => k.StartsWith("orleans_messaging_sent_messages", StringComparison.Ordinal) && k.EndsWith("_count", StringComparison.Ordinal));
        var lookups = Sum(k => k == "orleans_directory_lookups_cache_issued_total");
        var hits = Sum(k => k == "orleans_directory_lookups_cache_successes_total");
        var remote = Sum(k => k.StartsWith("orleans_directory_lookups_remote", StringComparison.Ordinal) && k.EndsWith("_sent_total", StringComparison.Ordinal));
        return new RoutingCost(messages, lookups, lookups <= 0 ? null : 100 * hits / lookups, remote);
    }
}

/// <summary>Orleans routing work per request (see <see cref="OrleansCounters.Routing"/>).</summary>
/// <remarks>The hit share is null when the silo counted no directory lookups (another directory implementation).</remarks>
internal sealed record RoutingCost(double MessagesSent, double DirectoryLookups, double? DirectoryCacheHitPercent, double RemoteDirectoryLookups);
