using System.Globalization;
using System.Text.RegularExpressions;

namespace SoulBox.Bench.Target;

/// <summary>Reads the warm pool's gauge (<c>soulbox.pool.warm</c>, tag template), or another per-template series such as
/// the containers started (<see cref="ContainerStartsMetric"/>), out of a Prometheus exposition.</summary>
internal static partial class PoolGauge
{
    public const string MetricName = "soulbox_pool_warm";

    /// <summary>Containers the node started (sandboxes, warm pool, one-shot executors), per template: the count of the
    /// start-duration histogram.</summary>
    public const string ContainerStartsMetric = "soulbox_container_start_duration_milliseconds_count";

    public static Dictionary<string, int> Parse(string exposition, string metricName = MetricName)
    {
        var warm = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in exposition.Split('\n'))
        {
            if (!line.StartsWith(metricName + "{", StringComparison.Ordinal) || TemplateLabel().Match(line) is not { Success: true } template)
            {
                continue;
            }

            // "name{labels} value [timestamp]"
            var fields = line[(line.LastIndexOf('}') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 0 && double.TryParse(fields[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var count))
            {
                warm[template.Groups[1].Value] = (int)count;
            }
        }

        return warm;
    }

    [GeneratedRegex("[{,]template=\"([^\"]*)\"")]
    private static partial Regex TemplateLabel();
}
