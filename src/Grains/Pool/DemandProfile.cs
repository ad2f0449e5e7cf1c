namespace SoulBox.Grains.Pool;

/// <summary>Everything a node's <see cref="DemandPredictor"/> has learned, per template: saved to the cluster state so a
/// restarted node pre-warms from it instead of starting cold.</summary>
public sealed record DemandProfile(IReadOnlyDictionary<string, TemplateDemandProfile> Templates);

/// <summary>One template's demand: the short-term rate (creations per second at <paramref name="RateAt"/>), the
/// time-of-day profile (creations per minute for each UTC hour) and the hour being counted.</summary>
public sealed record TemplateDemandProfile(
    double Rate,
    DateTimeOffset RateAt,
    double[] PerHour,
    int CurrentHour,
    int CountThisHour,
    DateTimeOffset HourStartedAt);
