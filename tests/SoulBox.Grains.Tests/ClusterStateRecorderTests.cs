using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SoulBox.Grains.Sandboxes;
using SoulBox.Grains.State;

namespace SoulBox.Grains.Tests;

public sealed class ClusterStateRecorderTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));

    private ClusterStateRecorder Recorder(IClusterStateStore store, int retrySeconds = 120) =>
        new(store, Options.Create(new ClusterStateOptions { WriteWaitMs = 2000, RetrySeconds = retrySeconds }), _time, NullLogger<ClusterStateRecorder>.Instance);

    private StoredSandbox Sandbox(string id) => new(id, "w1", 1, "acme", _time.GetUtcNow().AddMinutes(5));

    [Fact]
    public async Task WritesOfAStoreThatIsAway_AreRetriedInOrder_UntilItIsBack()
    {
        var store = new FakeStateStore(_time) { FailuresLeft = 3 };
        var recorder = Recorder(store);

        var live = recorder.Record("live", (s, ct) => s.SandboxLiveAsync(Sandbox("w1.a"), ct));
        var ended = recorder.Record("ended", (s, ct) => s.SandboxEndedAsync(Sandbox("w1.a") with { Ended = new EndedSandbox(SandboxEnd.Killed, _time.GetUtcNow(), "killed") }, ct));
        await AdvanceUntilAsync(ended, TimeSpan.FromMilliseconds(200));

        await live;
        Assert.Equal(["live w1.a", "ended w1.a"], store.Written);
        Assert.Equal(SandboxEnd.Killed, (await store.FindSandboxAsync("w1.a"))?.Ended?.How);
    }

    [Fact]
    public async Task AWriteIsGivenUpAfterTheRetryTime_AndTheNextOneGoesThrough()
    {
        var store = new FakeStateStore(_time) { FailuresLeft = int.MaxValue };
        var recorder = Recorder(store, retrySeconds: 10);

        var doomed = recorder.Record("live a", (s, ct) => s.SandboxLiveAsync(Sandbox("w1.a"), ct));
        var next = recorder.Record("live b", (s, ct) => s.SandboxLiveAsync(Sandbox("w1.b"), ct));
        await AdvanceUntilAsync(doomed, TimeSpan.FromSeconds(1));
        store.FailuresLeft = 0;
        await AdvanceUntilAsync(next, TimeSpan.FromSeconds(1));

        Assert.True(doomed.IsFaulted);
        Assert.Equal(["live w1.b"], store.Written);
    }

    [Fact]
    public async Task RecordAndWait_ReturnsAfterTheWriteWait_WhenTheStoreHangs()
    {
        var hang = new TaskCompletionSource();
        var recorder = Recorder(new FakeStateStore(_time));

        var waiting = recorder.RecordAndWaitAsync("hangs", (_, _) => hang.Task);
        await AdvanceUntilAsync(waiting, TimeSpan.FromMilliseconds(500));

        Assert.True(waiting.IsCompletedSuccessfully);
        Assert.False(hang.Task.IsCompleted);
        hang.SetResult();
    }

    /// <summary>Moves the fake clock on in steps until <paramref name="task"/> ends (the writer runs on the thread pool,
    /// so each step also gives it a moment of real time).</summary>
    private async Task AdvanceUntilAsync(Task task, TimeSpan step)
    {
        for (var i = 0; i < 2000 && !task.IsCompleted; i++)
        {
            await Task.WhenAny(task, Task.Delay(5));
            _time.Advance(step);
        }

        Assert.True(task.IsCompleted, "Timed out waiting for the recorder's write.");
        await task.ContinueWith(_ => { }, TaskScheduler.Default);
    }
}
