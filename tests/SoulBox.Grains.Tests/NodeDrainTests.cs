using Microsoft.Extensions.Time.Testing;
using SoulBox.Grains.Nodes;

namespace SoulBox.Grains.Tests;

public sealed class NodeDrainTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void ANewNode_IsActive_AndTakesWork()
    {
        var drain = new NodeDrain(_time);
        Assert.Equal(DrainStatus.Active, drain.State);
        Assert.False(drain.IsDraining);
        Assert.False(drain.Started.IsCancellationRequested);
        Assert.Throws<InvalidOperationException>(() => drain.Next(0, 0));
    }

    [Fact]
    public void Begin_StopsNewWork_OnceOnly_KeepingTheFirstTriggerAndDeadline()
    {
        var drain = new NodeDrain(_time);
        Assert.True(drain.TryBegin(Deadline, "admin"));
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.False(drain.TryBegin(TimeSpan.FromSeconds(1), "shutdown"));

        Assert.True(drain.IsDraining);
        Assert.True(drain.Started.IsCancellationRequested);
        Assert.Equal("admin", drain.Trigger);
        Assert.Equal(_time.GetUtcNow() - TimeSpan.FromSeconds(5) + Deadline, drain.Deadline);
        Assert.Equal(TimeSpan.FromSeconds(25), drain.Remaining);
    }

    [Fact]
    public void WorkLeft_IsWaitedFor_UntilTheDeadline_ThenSandboxesAreEnded()
    {
        var drain = new NodeDrain(_time);
        drain.TryBegin(Deadline, "shutdown");
        Assert.Equal(DrainStep.Wait, drain.Next(sandboxes: 2, oneShotRuns: 1));
        _time.Advance(Deadline - TimeSpan.FromMilliseconds(1));
        Assert.Equal(DrainStep.Wait, drain.Next(sandboxes: 2, oneShotRuns: 0));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(DrainStep.EndSandboxes, drain.Next(sandboxes: 2, oneShotRuns: 1));
        Assert.Equal(TimeSpan.Zero, drain.Remaining);
    }

    [Fact]
    public void OneShotRuns_AreWaitedFor_ButNotPastTheDeadline()
    {
        var drain = new NodeDrain(_time);
        drain.TryBegin(Deadline, "shutdown");
        Assert.Equal(DrainStep.Wait, drain.Next(sandboxes: 0, oneShotRuns: 1));
        _time.Advance(Deadline);
        Assert.Equal(DrainStep.Done, drain.Next(sandboxes: 0, oneShotRuns: 1));
    }

    [Fact]
    public async Task NothingLeft_IsDoneAtOnce_AndCompletionTellsWaiters()
    {
        var drain = new NodeDrain(_time);
        drain.TryBegin(Deadline, "admin");
        Assert.False(drain.Completion.IsCompleted);
        Assert.Equal(DrainStep.Done, drain.Next(0, 0));
        drain.CountEnded(0);
        drain.Complete();
        await drain.Completion.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(DrainStatus.Drained, drain.State);
        Assert.True(drain.IsDraining);
        Assert.Equal(DrainStep.Done, drain.Next(3, 3));
    }

    [Fact]
    public void AZeroDeadline_EndsSandboxesAtOnce()
    {
        var drain = new NodeDrain(_time);
        drain.TryBegin(TimeSpan.Zero, "shutdown");
        Assert.Equal(DrainStep.EndSandboxes, drain.Next(sandboxes: 1, oneShotRuns: 0));
        drain.CountEnded(1);
        Assert.Equal(DrainStep.Done, drain.Next(sandboxes: 0, oneShotRuns: 0));
        Assert.Equal(1, drain.SandboxesEnded);
    }
}
