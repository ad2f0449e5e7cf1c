using Microsoft.Extensions.Time.Testing;
using SoulBox.Grains.Pool;

namespace SoulBox.Grains.Tests;

public sealed class DemandPredictorTests
{
    private static readonly TimeSpan Horizon = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 8, 0, 0, TimeSpan.Zero));

    [Fact]
    public void WithNoDemand_TheTargetIsTheMinimum()
    {
        var predictor = new DemandPredictor(_time);

        Assert.Equal(1, predictor.Target("python", Horizon, min: 1, max: 16));
    }

    [Fact]
    public void ABurstRaisesTheTarget_AndItDecaysWhenTheBurstEnds()
    {
        var predictor = new DemandPredictor(_time);
        for (var i = 0; i < 60; i++)
        {
            predictor.Record("python");
            _time.Advance(TimeSpan.FromMilliseconds(500));
        }

        var during = predictor.Target("python", Horizon, min: 1, max: 16);
        _time.Advance(TimeSpan.FromMinutes(10));
        var later = predictor.Target("python", Horizon, min: 1, max: 16);

        Assert.InRange(during, 6, 16);
        Assert.Equal(1, later);
    }

    [Fact]
    public void TheTargetNeverPassesTheMaximum()
    {
        var predictor = new DemandPredictor(_time);
        for (var i = 0; i < 10_000; i++)
        {
            predictor.Record("node");
        }

        Assert.Equal(5, predictor.Target("node", Horizon, min: 1, max: 5));
    }

    [Fact]
    public void TemplatesAreIndependent()
    {
        var predictor = new DemandPredictor(_time);
        for (var i = 0; i < 100; i++)
        {
            predictor.Record("java");
        }

        Assert.Equal(0, predictor.Target("go", Horizon, min: 0, max: 16));
        Assert.True(predictor.Target("java", Horizon, min: 0, max: 16) > 0);
    }

    [Fact]
    public void ADailyPeak_IsWarmedForBeforeItArrives_TheNextDay()
    {
        var predictor = new DemandPredictor(_time);
        // Day 1: a busy hour from 09:00 (one create every 2 s), quiet otherwise.
        _time.SetUtcNow(new DateTimeOffset(2026, 11, 29, 9, 0, 0, TimeSpan.Zero));
        for (var i = 0; i < 1800; i++)
        {
            predictor.Record("python");
            _time.Advance(TimeSpan.FromSeconds(2));
        }

        // Day 2, 08:55: nothing happened for hours, but the profile knows 09:00 is busy.
        _time.SetUtcNow(new DateTimeOffset(2026, 11, 30, 8, 55, 0, TimeSpan.Zero));
        var beforePeak = predictor.Target("python", Horizon, min: 1, max: 16);
        _time.SetUtcNow(new DateTimeOffset(2026, 11, 30, 3, 0, 0, TimeSpan.Zero).AddDays(1));
        var atNight = predictor.Target("python", Horizon, min: 1, max: 16);

        Assert.True(beforePeak > 1, $"target before the learned peak was {beforePeak}");
        Assert.Equal(1, atNight);
    }
}
