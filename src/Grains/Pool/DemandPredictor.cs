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

    /// <summary>What has been learned so far, for every template seen (a copy: later records do not change it).</summary>
    public DemandProfile Snapshot()
    {
        lock (_lock)
        {
            return new DemandProfile(_demand.ToDictionary(
                d => d.Key,
                d => new TemplateDemandProfile(d.Value.Rate, d.Value.RateAt, (double[])d.Value.PerHour.Clone(), d.Value.CurrentHour, d.Value.CountThisHour, d.Value.HourStartedAt)));
        }
    }

    /// <summary>Takes up a saved profile (a restarted node's, loaded before its pool starts): each saved template replaces
    /// what this predictor knows of it, unless a creation was already recorded for it since the start. The saved rate decays over the time
    /// the node was down and the unfinished hour is folded in when its hour turns, as if the node had never stopped.</summary>
    public void Restore(DemandProfile profile)
    {
        lock (_lock)
        {
            foreach (var (template, saved) in profile.Templates)
            {
                if (saved.PerHour.Length != 24 || saved.CurrentHour is < 0 or > 23 || (_demand.TryGetValue(template, out var seen) && (seen.CountThisHour > 0 || seen.Rate > 0)))
                {
                    continue;
                }

                var demand = new TemplateDemand
                {
                    Rate = saved.Rate,
                    RateAt = saved.RateAt,
                    CurrentHour = saved.CurrentHour,
                    CountThisHour = saved.CountThisHour,
                    HourStartedAt = saved.HourStartedAt,
                };
                saved.PerHour.CopyTo(demand.PerHour, 0);
                _demand[template] = demand;
            }
        }
    }

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
