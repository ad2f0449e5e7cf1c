using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SoulBox.Grains.Hosting;
using SoulBox.Grains.Pool;
using SoulBox.Grains.State;

namespace SoulBox.Grains.Tests;

public sealed class DemandProfileKeeperTests
{
    private static readonly TimeSpan Horizon = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 8, 0, 0, TimeSpan.Zero));
    private readonly ClusterStateOptions _options = new() { DemandSaveIntervalSeconds = 60 };

    private DemandProfileKeeper Keeper(DemandPredictor predictor, IClusterStateStore store, string node = "w1") =>
        new(new NodeIdentity(node), predictor, store, Options.Create(_options), _time, NullLogger<DemandProfileKeeper>.Instance);

    /// <summary>A day of demand: a busy hour at 09:00 (two creations a minute), quiet otherwise.</summary>
    private void LearnADay(DemandPredictor predictor)
    {
        for (var minute = 0; minute < 24 * 60; minute++)
        {
            if (_time.GetUtcNow().Hour == 9)
            {
                predictor.Record("python");
                predictor.Record("python");
            }

            _time.Advance(TimeSpan.FromMinutes(1));
        }
    }

    [Fact]
    public async Task TheProfileSavedOnStop_IsWhatARestartedNodeLoads_AndItPreWarmsTheSame()
    {
        var store = new FakeStateStore(_time);
        var before = new DemandPredictor(_time);
        var keeper = Keeper(before, store);
        await keeper.StartAsync(CancellationToken.None);
        LearnADay(before);
        await keeper.StopAsync(CancellationToken.None);

        // The node restarts 50 minutes later, ten minutes before its busy hour.
        _time.Advance(TimeSpan.FromMinutes(50));
        var after = new DemandPredictor(_time);
        var cold = new DemandPredictor(_time);
        await Keeper(after, store).StartAsync(CancellationToken.None);

        var target = after.Target("python", Horizon, min: 0, max: 16);
        Assert.Equal(before.Target("python", Horizon, min: 0, max: 16), target);
        Assert.Equal(before.Snapshot().Templates["python"].PerHour, after.Snapshot().Templates["python"].PerHour);
        Assert.Equal(2, after.Snapshot().Templates["python"].PerHour[9]);
        Assert.Equal(1, target);
        Assert.Equal(0, cold.Target("python", Horizon, min: 0, max: 16));
    }

    [Fact]
    public async Task TheProfileIsSavedEveryInterval_SoAKill9LosesAtMostOneInterval()
    {
        var store = new FakeStateStore(_time);
        var predictor = new DemandPredictor(_time);
        var keeper = Keeper(predictor, store);
        await keeper.StartAsync(CancellationToken.None);
        predictor.Record("node");
        Assert.Empty(store.Profiles);

        _time.Advance(TimeSpan.FromSeconds(60));
        await WaitUntilAsync(() => store.Profiles.ContainsKey("w1"), "the first periodic save");
        Assert.Equal(1, store.Profiles["w1"].Templates["node"].CountThisHour);

        predictor.Record("node");
        _time.Advance(TimeSpan.FromSeconds(60));
        await WaitUntilAsync(() => store.Profiles["w1"].Templates["node"].CountThisHour == 2, "the second periodic save");
        await keeper.DisposeAsync();
    }

    [Fact]
    public async Task ProfilesAreKeptPerNode()
    {
        var store = new FakeStateStore(_time);
        var first = new DemandPredictor(_time);
        first.Record("java");
        await Keeper(first, store, "w1").SaveAsync(CancellationToken.None);

        var other = new DemandPredictor(_time);
        await Keeper(other, store, "w2").LoadAsync(CancellationToken.None);

        Assert.Empty(other.Snapshot().Templates);
        Assert.Equal(["java"], store.Profiles["w1"].Templates.Keys);
    }

    [Fact]
    public async Task AStoreThatIsAway_CostsTheNodeItsMemoryOfDemand_NotItsStart()
    {
        var store = new FakeStateStore(_time) { FailuresLeft = 2 };
        var predictor = new DemandPredictor(_time);
        var keeper = Keeper(predictor, store);

        await keeper.LoadAsync(CancellationToken.None);
        predictor.Record("go");
        await keeper.SaveAsync(CancellationToken.None);

        Assert.Empty(store.Profiles);
        Assert.Equal(0, store.FailuresLeft);
        await keeper.SaveAsync(CancellationToken.None);
        Assert.Single(store.Profiles);
    }

    [Fact]
    public void Restore_KeepsWhatWasRecordedSinceTheStart()
    {
        var saved = new DemandPredictor(_time);
        for (var i = 0; i < 10; i++)
        {
            saved.Record("python");
            saved.Record("node");
        }

        var fresh = new DemandPredictor(_time);
        fresh.Record("python");
        fresh.Restore(saved.Snapshot());

        Assert.Equal(1, fresh.Snapshot().Templates["python"].CountThisHour);
        Assert.Equal(10, fresh.Snapshot().Templates["node"].CountThisHour);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        // The save runs on the thread pool after the fake clock ticks; it needs a moment of real time, not of the clock.
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition(), $"Timed out waiting for {what}.");
    }
}
