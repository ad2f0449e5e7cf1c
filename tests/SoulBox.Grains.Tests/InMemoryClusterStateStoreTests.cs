using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SoulBox.Grains.Sandboxes;
using SoulBox.Grains.State;

namespace SoulBox.Grains.Tests;

public sealed class InMemoryClusterStateStoreTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));

    private InMemoryClusterStateStore Store() => new(Options.Create(new ClusterStateOptions { EndedRetentionHours = 24 }), _time);

    private StoredSandbox Live(string id, string node = "w1", int generation = 7, string? tenant = "acme") =>
        new(id, node, generation, tenant, _time.GetUtcNow().AddMinutes(5));

    [Fact]
    public async Task AnEndedSandbox_IsRememberedWithItsTenantAndReason_ForTheRetention()
    {
        var store = Store();
        await store.SandboxLiveAsync(Live("w1.a"));
        await store.SandboxEndedAsync(Live("w1.a") with { Ended = new EndedSandbox(SandboxEnd.Killed, _time.GetUtcNow(), "killed by a caller") });

        _time.Advance(TimeSpan.FromHours(23));
        var found = await store.FindSandboxAsync("w1.a");
        Assert.Equal("acme", found?.Tenant);
        Assert.Equal(SandboxEnd.Killed, found?.Ended?.How);
        Assert.Equal("killed by a caller", found?.Ended?.Reason);

        _time.Advance(TimeSpan.FromHours(1));
        Assert.Null(await store.FindSandboxAsync("w1.a"));
    }

    [Fact]
    public async Task ALateLiveWrite_NeverBringsAnEndedSandboxBack()
    {
        var store = Store();
        await store.SandboxEndedAsync(Live("w1.a") with { Ended = new EndedSandbox(SandboxEnd.Expired, _time.GetUtcNow(), "its lifetime ended") });
        await store.SandboxLiveAsync(Live("w1.a"));

        Assert.Equal(SandboxEnd.Expired, (await store.FindSandboxAsync("w1.a"))?.Ended?.How);
    }

    [Fact]
    public async Task MarkNodeLost_EndsTheLiveSandboxesOfThatNodesEarlierStarts_Only()
    {
        var store = Store();
        await store.SandboxLiveAsync(Live("w1.old", generation: 5));
        await store.SandboxLiveAsync(Live("w1.dead", generation: 7));
        await store.SandboxLiveAsync(Live("w1.new", generation: 9));
        await store.SandboxLiveAsync(Live("w2.other", node: "w2", generation: 3));
        await store.SandboxLiveAsync(Live("w1.killed", generation: 7));
        await store.SandboxEndedAsync(Live("w1.killed", generation: 7) with { Ended = new EndedSandbox(SandboxEnd.Killed, _time.GetUtcNow(), "killed by a caller") });

        Assert.Equal(2, await store.MarkNodeLostAsync("w1", 7, "its node 'w1' died"));
        Assert.Equal(0, await store.MarkNodeLostAsync("w1", 7, "its node 'w1' died"));

        Assert.Equal("its node 'w1' died", (await store.FindSandboxAsync("w1.old"))?.Ended?.Reason);
        Assert.Equal(SandboxEnd.Lost, (await store.FindSandboxAsync("w1.dead"))?.Ended?.How);
        Assert.Null((await store.FindSandboxAsync("w1.new"))?.Ended);
        Assert.Null((await store.FindSandboxAsync("w2.other"))?.Ended);
        Assert.Equal(SandboxEnd.Killed, (await store.FindSandboxAsync("w1.killed"))?.Ended?.How);
    }

    [Fact]
    public async Task TheDefaultTenant_IsStoredAsNoTenant()
    {
        var store = Store();
        await store.SandboxLiveAsync(Live("w1.a", tenant: null));

        var found = await store.FindSandboxAsync("w1.a");
        Assert.NotNull(found);
        Assert.Null(found.Tenant);
        Assert.False(store.IsDurable);
    }
}
