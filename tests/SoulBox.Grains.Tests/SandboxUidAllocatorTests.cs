using Microsoft.Extensions.Time.Testing;
using SoulBox.Grains.Containers;

namespace SoulBox.Grains.Tests;

public sealed class SandboxUidAllocatorTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));
    private readonly string _leases = Path.Combine(Path.GetTempPath(), $"soulbox-uid-leases-{Guid.NewGuid():N}");
    private readonly HashSet<string> _liveContainers = [];

    /// <summary>An allocator ("a silo") probing the given candidate indexes in order.</summary>
    private SandboxUidAllocator Silo(params int[] candidates)
    {
        var queue = new Queue<int>(candidates);
        return new SandboxUidAllocator(_leases, _time, (name, _) => Task.FromResult(_liveContainers.Contains(name)), () => queue.Dequeue());
    }

    [Fact]
    public async Task TwoSilosOnOneHost_NeverGetTheSameUid_EvenWhenTheyProbeTheSameOne()
    {
        var first = await Silo(5).AcquireAsync("a", CancellationToken.None);
        _liveContainers.Add("a");
        var second = await Silo(5, 6).AcquireAsync("b", CancellationToken.None);

        Assert.Equal(SandboxUidAllocator.FirstUid + 5, first);
        Assert.Equal(SandboxUidAllocator.FirstUid + 6, second);
    }

    [Fact]
    public async Task UidsLieAboveSubuidRangesAndBelowTwoToThe31()
    {
        var lowest = await Silo(0).AcquireAsync("a", CancellationToken.None);
        var highest = await Silo(SandboxUidAllocator.UidCount - 1).AcquireAsync("b", CancellationToken.None);

        Assert.Equal(2_000_000_000, lowest);
        Assert.Equal(2_099_999_999, highest);
        Assert.True(highest < int.MaxValue);
    }

    [Fact]
    public async Task ALeaseWhoseContainerIsGone_IsReclaimedOnlyOnceItIsOlderThanTheStaleAge()
    {
        await Silo(7).AcquireAsync("crashed", CancellationToken.None); // its silo died; container never made

        _time.Advance(TimeSpan.FromMinutes(1));
        var young = await Silo(7, 8).AcquireAsync("b", CancellationToken.None);
        _time.Advance(SandboxUidAllocator.MinimumStaleAge);
        var reclaimed = await Silo(7).AcquireAsync("c", CancellationToken.None);

        Assert.Equal(SandboxUidAllocator.FirstUid + 8, young);
        Assert.Equal(SandboxUidAllocator.FirstUid + 7, reclaimed);
    }

    [Fact]
    public async Task ALeaseWhoseContainerStillExists_IsNeverReclaimed_AndAReleasedUidIsFreeAgain()
    {
        var silo = Silo(3, 3, 4, 3);
        var uid = await silo.AcquireAsync("alive", CancellationToken.None);
        _liveContainers.Add("alive");
        _time.Advance(TimeSpan.FromHours(1));

        var other = await silo.AcquireAsync("b", CancellationToken.None);
        silo.Release(uid);
        var again = await silo.AcquireAsync("c", CancellationToken.None);

        Assert.Equal(SandboxUidAllocator.FirstUid + 4, other);
        Assert.Equal(uid, again);
    }

    [Fact]
    public async Task AReaperFreesTheLeaseOfTheContainerItRemoved_ButNotALeaseANewContainerTookSince()
    {
        var uid = await Silo(7).AcquireAsync("dead-node-container", CancellationToken.None);
        var reaper = Silo(7, 7);

        reaper.ReleaseIfHeldBy(uid, "some-other-container");
        Assert.True(File.Exists(Path.Combine(_leases, uid.ToString())));

        reaper.ReleaseIfHeldBy(uid, "dead-node-container");
        Assert.Equal(uid, await reaper.AcquireAsync("new-container", CancellationToken.None));
        reaper.ReleaseIfHeldBy(uid, "dead-node-container");
        Assert.Equal("new-container", File.ReadAllLines(Path.Combine(_leases, uid.ToString()))[0]);
    }

    public void Dispose()
    {
        if (Directory.Exists(_leases))
        {
            Directory.Delete(_leases, recursive: true);
        }
    }
}
