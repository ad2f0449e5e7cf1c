using Microsoft.Extensions.Time.Testing;
using SoulBox.Grains.Execution;

namespace SoulBox.Grains.Tests;

public sealed class ExecutionSchedulerTests
{
    private static readonly TimeSpan QueueTimeout = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new();

    private ExecutionScheduler Scheduler(int slots = 4, int tenantMax = 3, int maxQueued = 8) =>
        new(slots, tenantMax, maxQueued, QueueTimeout, _time);

    [Fact]
    public async Task ALoneTenantGetsItsShareAtOnceAndNoMore()
    {
        var scheduler = Scheduler();

        var held = new[] { scheduler.AcquireAsync("a", default), scheduler.AcquireAsync("a", default), scheduler.AcquireAsync("a", default) };
        var fourth = scheduler.AcquireAsync("a", default);

        Assert.All(held, t => Assert.True(t.IsCompletedSuccessfully));
        Assert.False(fourth.IsCompleted);
        Assert.Equal(3, scheduler.Running);
        Assert.Equal(1, scheduler.Waiting);
        (await held[0]).Dispose();
        Assert.True(fourth.IsCompletedSuccessfully);
        Assert.Equal(3, scheduler.RunningOf("a"));
    }

    [Fact]
    public void ANewcomerRunsAtOnceWhileAnotherTenantHoldsItsShareAndWaitsForMore()
    {
        var scheduler = Scheduler();
        for (var i = 0; i < 8; i++)
        {
            _ = scheduler.AcquireAsync("attacker", default);
        }

        var bystander = scheduler.AcquireAsync("bystander", default);

        Assert.True(bystander.IsCompletedSuccessfully);
        Assert.Equal(3, scheduler.RunningOf("attacker"));
        Assert.Equal(1, scheduler.RunningOf("bystander"));
        Assert.Equal(5, scheduler.Waiting);
    }

    [Fact]
    public async Task FreedSlotsGoRoundRobinAcrossTenantsNotInArrivalOrder()
    {
        var scheduler = Scheduler(slots: 2, tenantMax: 2, maxQueued: 8);
        var first = await scheduler.AcquireAsync("a", default);
        var second = await scheduler.AcquireAsync("a", default);
        var a3 = scheduler.AcquireAsync("a", default);
        var a4 = scheduler.AcquireAsync("a", default);
        var b1 = scheduler.AcquireAsync("b", default);
        var c1 = scheduler.AcquireAsync("c", default);

        first.Dispose();
        // Three tenants active: a holds 1 = its share (2 / 3 rounded down, at least 1); b was queued after a but a
        // may not take more, so the slot goes to b.
        Assert.True(b1.IsCompletedSuccessfully);
        Assert.False(a3.IsCompleted);
        Assert.False(c1.IsCompleted);

        // a holds nothing now and was passed over, so it keeps the head of the round.
        second.Dispose();
        Assert.True(a3.IsCompletedSuccessfully);
        Assert.False(c1.IsCompleted);

        // a holds its share (two tenants left once b is done: 1 each), so c is next though a queued earlier.
        (await b1).Dispose();
        Assert.True(c1.IsCompletedSuccessfully);
        Assert.False(a4.IsCompleted);
    }

    [Fact]
    public async Task AWaiterOfATenantAtItsShareGives429AfterTheQueueTimeout()
    {
        var scheduler = Scheduler();
        for (var i = 0; i < 3; i++)
        {
            await scheduler.AcquireAsync("attacker", default);
        }

        var waiting = scheduler.AcquireAsync("attacker", default);
        _time.Advance(QueueTimeout - TimeSpan.FromMilliseconds(1));
        Assert.False(waiting.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1));

        var error = await Assert.ThrowsAsync<TenantShareExceededException>(() => waiting);
        Assert.Equal(ErrorCodes.TenantShareExceeded, error.Code);
        Assert.Equal(10, error.RetryAfterSeconds);
        Assert.Equal(0, scheduler.Waiting);
    }

    [Fact]
    public async Task AWaiterOfATenantUnderItsShareGives503WhenTheNodeStaysFull()
    {
        var scheduler = Scheduler(slots: 2, tenantMax: 2);
        await scheduler.AcquireAsync("a", default);
        await scheduler.AcquireAsync("b", default);

        var waiting = scheduler.AcquireAsync("c", default);
        _time.Advance(QueueTimeout);

        var error = await Assert.ThrowsAsync<NodeBusyException>(() => waiting);
        Assert.Equal(ErrorCodes.NoCapacity, error.Code);
        Assert.Equal(10, error.RetryAfterSeconds);
    }

    [Fact]
    public async Task ATenantPastItsQueueLimitGets429AtOnce()
    {
        var scheduler = Scheduler(slots: 1, tenantMax: 1, maxQueued: 2);
        await scheduler.AcquireAsync("a", default);
        _ = scheduler.AcquireAsync("a", default);
        _ = scheduler.AcquireAsync("a", default);

        var error = Assert.Throws<TenantShareExceededException>(() => { _ = scheduler.AcquireAsync("a", default); });

        Assert.Contains("MaxQueuedExecutionsPerTenant", error.Message);
        Assert.Equal(2, scheduler.Waiting);
        // Another tenant still queues: the limit is per tenant.
        Assert.False(scheduler.AcquireAsync("b", default).IsCompleted);
    }

    [Fact]
    public async Task WithNoQueueARequestRunsWhenASlotIsFreeAndIsRefusedAtOnceOtherwise()
    {
        var scheduler = Scheduler(slots: 1, tenantMax: 1, maxQueued: 0);

        var first = scheduler.AcquireAsync("a", default);
        Assert.True(first.IsCompletedSuccessfully);
        Assert.Throws<TenantShareExceededException>(() => { _ = scheduler.AcquireAsync("b", default); });
        (await first).Dispose();
        Assert.True(scheduler.AcquireAsync("b", default).IsCompletedSuccessfully);
        Assert.Equal(0, scheduler.Waiting);
    }

    [Fact]
    public async Task ACancelledWaiterLeavesTheQueueAndFreesItsTenantsTurn()
    {
        var scheduler = Scheduler(slots: 1, tenantMax: 1);
        var held = await scheduler.AcquireAsync("a", default);
        using var cancel = new CancellationTokenSource();
        var cancelled = scheduler.AcquireAsync("b", cancel.Token);
        var next = scheduler.AcquireAsync("c", default);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        held.Dispose();

        Assert.True(next.IsCompletedSuccessfully);
        Assert.Equal(0, scheduler.Waiting);
        Assert.Equal(0, scheduler.RunningOf("b"));
    }

    [Fact]
    public async Task ATenantThatLeavesNoLongerCountsAgainstTheOthersShare()
    {
        var scheduler = Scheduler(slots: 4, tenantMax: 4);
        var b = await scheduler.AcquireAsync("b", default);
        var a = new List<IDisposable> { await scheduler.AcquireAsync("a", default), await scheduler.AcquireAsync("a", default) };
        var third = scheduler.AcquireAsync("a", default);
        Assert.False(third.IsCompleted); // Two tenants: 2 each.

        b.Dispose();

        Assert.True(third.IsCompletedSuccessfully); // Alone again: up to its maximum of 4.
        Assert.Equal(3, scheduler.RunningOf("a"));
    }

    [Fact]
    public async Task ALeaseReleasedTwiceFreesOneSlot()
    {
        var scheduler = Scheduler(slots: 2, tenantMax: 2);
        var lease = await scheduler.AcquireAsync("a", default);
        await scheduler.AcquireAsync("b", default);

        lease.Dispose();
        lease.Dispose();

        Assert.Equal(1, scheduler.Running);
    }

    [Fact]
    public async Task TryAcquireTakesOnlyAFreeSlotWithinTheShareAndNeverJumpsTheQueue()
    {
        var scheduler = Scheduler(slots: 4, tenantMax: 3);
        using var first = await scheduler.AcquireAsync("batch", default);

        using var second = scheduler.TryAcquire("batch");
        using var third = scheduler.TryAcquire("batch");
        Assert.NotNull(second);
        Assert.NotNull(third);
        Assert.Null(scheduler.TryAcquire("batch")); // its share is 3

        // Another tenant takes the last slot and a third one waits: no extra slot while anyone waits.
        using var other = await scheduler.AcquireAsync("other", default);
        var waiting = scheduler.AcquireAsync("third", default);
        third!.Dispose();
        Assert.True(waiting.IsCompletedSuccessfully);
        Assert.Null(scheduler.TryAcquire("batch"));
        Assert.Equal(4, scheduler.Running);
    }
}
