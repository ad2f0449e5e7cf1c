namespace SoulBox.Grains.Pool;

/// <summary>Predicts sandbox creations per template: a short-term rate (exponentially weighted over about a
/// minute) blended with a learned time-of-day profile (claims per minute for each hour of the day, itself a
/// slow moving average), so the pool warms ahead of a daily peak before the burst arrives. Pure logic on a
/// <see cref="TimeProvider"/>: testable without waiting.</summary>
public sealed class DemandPredictor(TimeProvider time)
{
    private const double ShortWindowSeconds = 60;
    private const double ProfileLearningRate = 0.2;

    private sealed class TemplateDemand
    {
        public double Rate;
        public DateTimeOffset RateAt;
        public readonly double[] PerHour = new double[24];
        public int CurrentHour = -1;
        public int CountThisHour;
        public DateTimeOffset HourStartedAt;
    }

    private readonly Dictionary<string, TemplateDemand> _demand = [];
    private readonly Lock _lock = new();

    /// <summary>Records one sandbox creation (claimed from the pool or not).</summary>
    public void Record(string template)
    {
        lock (_lock)
        {
            var demand = Get(template);
            var now = time.GetUtcNow();
            Decay(demand, now);
            demand.Rate += 1 / ShortWindowSeconds;
            RollHour(demand, now);
            demand.CountThisHour++;
        }
    }

    /// <summary>Predicted creations per second now: the larger of the recent rate and what this hour of the day has
    /// seen before (a falling recent rate must not empty the pool just before the usual peak).</summary>
    public double RatePerSecond(string template)
    {
        lock (_lock)
        {
            var demand = Get(template);
            var now = time.GetUtcNow();
            Decay(demand, now);
            RollHour(demand, now);
            var nextHour = (now.Hour + 1) % 24;
            var minutesToNextHour = 60 - now.Minute;
            // Lean on the next hour's profile as it approaches, so warming starts before the hour turns.
            var profile = minutesToNextHour <= 10 ? Math.Max(demand.PerHour[now.Hour], demand.PerHour[nextHour]) : demand.PerHour[now.Hour];
            return Math.Max(demand.Rate, profile / 60);
        }
    }

    /// <summary>Warm containers to hold so the next <paramref name="horizon"/> of predicted demand is a claim.
    /// A fifth of a container's worth of expected demand or less (a decayed trickle) holds none extra.</summary>
    public int Target(string template, TimeSpan horizon, int min, int max) =>
        Math.Clamp((int)Math.Ceiling(Math.Max(0, RatePerSecond(template) * horizon.TotalSeconds - 0.2)) + min, min, max);

    private TemplateDemand Get(string template)
    {
        if (!_demand.TryGetValue(template, out var demand))
        {
            var now = time.GetUtcNow();
            _demand[template] = demand = new TemplateDemand { RateAt = now, HourStartedAt = now, CurrentHour = now.Hour };
        }

        return demand;
    }

    private static void Decay(TemplateDemand demand, DateTimeOffset now)
    {
        var elapsed = (now - demand.RateAt).TotalSeconds;
        if (elapsed > 0)
        {
            demand.Rate *= Math.Exp(-elapsed / ShortWindowSeconds);
            demand.RateAt = now;
        }
    }

    private static void RollHour(TemplateDemand demand, DateTimeOffset now)
    {
        if (now.Hour == demand.CurrentHour && now - demand.HourStartedAt < TimeSpan.FromHours(1))
        {
            return;
        }

        // Fold the finished hour into its slot of the profile (claims per minute), then start the new one.
        var minutes = Math.Clamp((now - demand.HourStartedAt).TotalMinutes, 1, 60);
        var observed = demand.CountThisHour / minutes;
        ref var slot = ref demand.PerHour[demand.CurrentHour];
        slot = slot == 0 ? observed : slot + ProfileLearningRate * (observed - slot);
        demand.CurrentHour = now.Hour;
        demand.CountThisHour = 0;
        demand.HourStartedAt = now;
    }
}
