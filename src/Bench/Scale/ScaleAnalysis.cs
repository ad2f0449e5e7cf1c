namespace SoulBox.Bench.Scale;

/// <summary>Whether a scale window measured what it claims: the workers' sandbox budgets were the limit (their quotas
/// used up), and nothing else — gateway, worker silos, load generator, Redis, the Docker engine, the machine — was
/// near saturation. A req/s ratio between worker counts is only honest under both conditions.</summary>
internal static class ScaleAnalysis
{
    /// <summary>Machine CPU above which the cores themselves are the limit (the sum of all processes).</summary>
    public const double MachineBusyLimitPercent = 90;

    /// <summary>Quota use below which a worker's sandboxes were not the bottleneck.</summary>
    public const double QuotaSaturatedPercent = 80;

    public static IEnumerable<string> HeadroomFlags(ScalePoint point, double limitPercentOfCore)
    {
        var r = point.Resources;
        foreach (var process in r.Processes.Where(p => p.MeanPercentOfCore > limitPercentOfCore))
        {
            yield return $"{point.Workers} worker(s): {process.Name} ({process.Role}) used {process.MeanPercentOfCore:F0} % of a core on average (peak {process.PeakPercentOfCore:F0} %), above {limitPercentOfCore:F0} %";
        }

        if (r.MachineCpuPercent > MachineBusyLimitPercent)
        {
            yield return $"{point.Workers} worker(s): the machine was {r.MachineCpuPercent:F0} % busy (all cores = 100 %), above {MachineBusyLimitPercent:F0} %";
        }

        foreach (var budget in r.Budgets.Where(b => b.QuotaUsedPercent < QuotaSaturatedPercent))
        {
            yield return $"{point.Workers} worker(s): the sandboxes of {budget.Worker} used only {budget.QuotaUsedPercent:F0} % of their {budget.QuotaCpus:0.###}-core quota: something other than the worker's budget limited the rate";
        }
    }

    /// <summary>Whether the ratio between worker counts is clean: no flag in either window.</summary>
    public static bool Clean(ScaleResults results) => results.HeadroomFlags.Count == 0;
}
