using SoulBox.Grains.Nodes;

namespace SoulBox.Grains.Tests;

public sealed class IdleExecutorsTests
{
    [Fact]
    public void PastTheNodeCapTheExecutorIdleLongestIsEvicted()
    {
        var idle = new IdleExecutors<int, string>(maxPerKey: 2, maxTotal: 3);

        Assert.Empty(idle.Add(128, "a"));
        Assert.Empty(idle.Add(256, "b"));
        Assert.Empty(idle.Add(512, "c"));
        var evicted = idle.Add(1024, "d");

        Assert.Equal(["a"], evicted);
        Assert.Equal(3, idle.Count);
        Assert.False(idle.TryTake(128, out _));
    }

    [Fact]
    public void PastThePerKeyCapTheOldestOfThatKeyIsEvicted()
    {
        var idle = new IdleExecutors<int, string>(maxPerKey: 2, maxTotal: 8);
        idle.Add(128, "old");
        idle.Add(256, "other");
        idle.Add(128, "mid");

        var evicted = idle.Add(128, "new");

        Assert.Equal(["old"], evicted);
        Assert.Equal(3, idle.Count);
    }

    [Fact]
    public void TakingReturnsTheMostRecentlyReturnedOfTheKeySoOldOnesAgeOut()
    {
        var idle = new IdleExecutors<int, string>(maxPerKey: 4, maxTotal: 3);
        idle.Add(128, "first");
        idle.Add(128, "second");

        Assert.True(idle.TryTake(128, out var taken));
        Assert.Equal("second", taken);
        idle.Add(128, "second");
        idle.Add(256, "x");
        Assert.Equal(["first"], idle.Add(512, "y"));
    }

    [Fact]
    public void ACapOfZeroEvictsWhatWasJustAdded()
    {
        var idle = new IdleExecutors<int, string>(maxPerKey: 2, maxTotal: 0);

        Assert.Equal(["a"], idle.Add(128, "a"));
        Assert.Equal(0, idle.Count);
    }

    [Fact]
    public void ASweepOverManyKeysNeverHoldsMoreThanTheCap()
    {
        var idle = new IdleExecutors<int, int>(maxPerKey: 2, maxTotal: 8);
        var evicted = 0;
        for (var i = 0; i < 40; i++)
        {
            evicted += idle.Add(i, i).Count;
            Assert.True(idle.Count <= 8);
        }

        Assert.Equal(32, evicted);
        Assert.Equal(8, idle.Drain().Count);
        Assert.Equal(0, idle.Count);
    }
}
