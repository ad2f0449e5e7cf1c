using System.Net;
using System.Collections.Immutable;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SoulBox.Grains.Sandboxes;
using SoulBox.Grains.State;

namespace SoulBox.Grains.Tests;

public sealed class DeadNodeWatcherTests
{
    private static readonly SiloAddress W1 = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11111), 100);
    private static readonly SiloAddress W1Again = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11111), 200);
    private static readonly SiloAddress W2 = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11112), 150);

    private sealed class RecordingHandler : IDeadNodeHandler
    {
        public List<DeadNode> Seen { get; } = [];

        public Task OnNodeDeadAsync(DeadNode node, CancellationToken cancellationToken)
        {
            Seen.Add(node);
            return Task.CompletedTask;
        }
    }

    private sealed class FailingHandler : IDeadNodeHandler
    {
        public Task OnNodeDeadAsync(DeadNode node, CancellationToken cancellationToken) => throw new InvalidOperationException("reaper failed");
    }

    private sealed class NoMembership : IClusterMembershipService
    {
        public ClusterMembershipSnapshot CurrentSnapshot => Snapshot();
        public IAsyncEnumerable<ClusterMembershipSnapshot> MembershipUpdates => AsyncEnumerable.Empty<ClusterMembershipSnapshot>();
        public ValueTask Refresh(MembershipVersion minimumVersion = default, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
        public Task<bool> TryKill(SiloAddress siloAddress) => Task.FromResult(false);
    }

    private static ClusterMembershipSnapshot Snapshot(params ClusterMember[] members) =>
        new(members.ToImmutableDictionary(m => m.SiloAddress), new MembershipVersion(members.Length));

    [Fact]
    public async Task EachDeadSilo_IsHandedToEveryHandler_Once_EvenWhenAnotherHandlerFails()
    {
        var handler = new RecordingHandler();
        var watcher = new DeadNodeWatcher(new NoMembership(), [new FailingHandler(), handler], NullLogger<DeadNodeWatcher>.Instance);

        await watcher.HandleAsync(Snapshot(new(W1, SiloStatus.Active, "w1"), new(W2, SiloStatus.Active, "w2")), CancellationToken.None);
        Assert.Empty(handler.Seen);

        await watcher.HandleAsync(Snapshot(new(W1, SiloStatus.Dead, "w1"), new(W2, SiloStatus.Active, "w2")), CancellationToken.None);
        await watcher.HandleAsync(Snapshot(new(W1, SiloStatus.Dead, "w1"), new(W2, SiloStatus.ShuttingDown, "w2"), new(W1Again, SiloStatus.Active, "w1")), CancellationToken.None);

        Assert.Equal([new DeadNode("w1", W1)], handler.Seen);
    }

    [Fact]
    public async Task ADeadNode_LosesTheSandboxesOfThatStart_NotThoseOfItsNextStart()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));
        var store = new FakeStateStore(time);
        var recorder = new ClusterStateRecorder(store, Options.Create(new ClusterStateOptions()), time, NullLogger<ClusterStateRecorder>.Instance);
        var watcher = new DeadNodeWatcher(new NoMembership(), [new LostSandboxMarker(recorder)], NullLogger<DeadNodeWatcher>.Instance);
        await store.SandboxLiveAsync(new StoredSandbox("w1.before", "w1", W1.Generation, "acme", time.GetUtcNow().AddHours(1)));
        await store.SandboxLiveAsync(new StoredSandbox("w1.after", "w1", W1Again.Generation, "acme", time.GetUtcNow().AddHours(1)));

        await watcher.HandleAsync(Snapshot(new(W1, SiloStatus.Dead, "w1"), new(W1Again, SiloStatus.Active, "w1")), CancellationToken.None);

        var lost = await store.FindSandboxAsync("w1.before");
        Assert.Equal(new EndedSandbox(SandboxEnd.Lost, time.GetUtcNow(), "its node 'w1' died"), lost?.Ended);
        Assert.Null((await store.FindSandboxAsync("w1.after"))?.Ended);
    }
}
