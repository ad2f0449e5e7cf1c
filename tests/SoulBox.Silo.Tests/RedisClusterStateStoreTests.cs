using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SoulBox.Grains.Pool;
using SoulBox.Grains.Sandboxes;
using SoulBox.Grains.State;
using SoulBox.Silo.State;
using StackExchange.Redis;

namespace SoulBox.Silo.Tests;

/// <summary>The Redis cluster state against a real Redis (SOULBOX_TEST_REDIS), each test under a key prefix of its own
/// that it deletes: what is stored, under which keys, for how long.</summary>
public sealed class RedisClusterStateStoreTests : IAsyncLifetime
{
    private readonly string _prefix = $"soulbox-test:{Guid.NewGuid():N}:";
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private ConnectionMultiplexer _redis = null!;
    private RedisClusterStateStore _store = null!;

    private IDatabase Db => _redis.GetDatabase();

    public async Task InitializeAsync()
    {
        _redis = await ConnectionMultiplexer.ConnectAsync(StateNode.Redis);
        _store = new RedisClusterStateStore(StateNode.Redis, Options.Create(new ClusterStateOptions { KeyPrefix = _prefix, EndedRetentionHours = 2 }), _time);
    }

    public async Task DisposeAsync()
    {
        var server = _redis.GetServer(_redis.GetEndPoints()[0]);
        await foreach (var key in server.KeysAsync(pattern: _prefix + "*"))
        {
            await Db.KeyDeleteAsync(key);
        }

        await _store.DisposeAsync();
        await _redis.DisposeAsync();
    }

    private StoredSandbox Live(string id, string node = "w1", int generation = 7, string? tenant = "acme") =>
        new(id, node, generation, tenant, _time.GetUtcNow().AddMinutes(30));

    [Fact]
    public async Task ALiveSandbox_IsInItsNodesLiveSet_AndItsKeyLivesUntilItsExpiryPlusTheRetention()
    {
        await _store.SandboxLiveAsync(Live("w1.a"));

        Assert.Equal("7", (await Db.HashGetAsync($"{_prefix}node:w1:live", "w1.a")).ToString());
        var ttl = await Db.KeyTimeToLiveAsync($"{_prefix}sandbox:w1.a");
        Assert.InRange(ttl!.Value, TimeSpan.FromMinutes(149), TimeSpan.FromMinutes(150));
        Assert.Equal(Live("w1.a") with { ExpiresAt = DateTimeOffset.FromUnixTimeMilliseconds(Live("w1.a").ExpiresAt.ToUnixTimeMilliseconds()) },
            await _store.FindSandboxAsync("w1.a"));
    }

    [Fact]
    public async Task AnEndedSandbox_LeavesTheLiveSet_AndIsKeptForTheRetention_WithItsTenantAndReason()
    {
        await _store.SandboxLiveAsync(Live("w1.a"));
        var at = DateTimeOffset.FromUnixTimeMilliseconds(_time.GetUtcNow().ToUnixTimeMilliseconds());
        await _store.SandboxEndedAsync(Live("w1.a") with { Ended = new EndedSandbox(SandboxEnd.Expired, at, "its lifetime ended") });
        await _store.SandboxLiveAsync(Live("w1.a"));

        Assert.False(await Db.HashExistsAsync($"{_prefix}node:w1:live", "w1.a"));
        Assert.InRange((await Db.KeyTimeToLiveAsync($"{_prefix}sandbox:w1.a"))!.Value, TimeSpan.FromMinutes(119), TimeSpan.FromMinutes(120));
        var found = await _store.FindSandboxAsync("w1.a");
        Assert.Equal("acme", found?.Tenant);
        Assert.Equal(new EndedSandbox(SandboxEnd.Expired, at, "its lifetime ended"), found?.Ended);
        Assert.Null(await _store.FindSandboxAsync("w1.never"));
    }

    [Fact]
    public async Task MarkNodeLost_EndsTheLiveSandboxesOfThatStartAndEarlierOnes_Once()
    {
        await _store.SandboxLiveAsync(Live("w1.old", generation: 5));
        await _store.SandboxLiveAsync(Live("w1.dead", generation: 7, tenant: null));
        await _store.SandboxLiveAsync(Live("w1.next", generation: 9));
        await _store.SandboxLiveAsync(Live("w2.other", node: "w2"));

        Assert.Equal(2, await _store.MarkNodeLostAsync("w1", 7, "its node 'w1' died"));
        Assert.Equal(0, await _store.MarkNodeLostAsync("w1", 7, "its node 'w1' died"));

        var dead = await _store.FindSandboxAsync("w1.dead");
        Assert.Null(dead?.Tenant);
        Assert.Equal(SandboxEnd.Lost, dead?.Ended?.How);
        Assert.Equal("its node 'w1' died", dead?.Ended?.Reason);
        Assert.NotNull((await _store.FindSandboxAsync("w1.old"))?.Ended);
        Assert.Null((await _store.FindSandboxAsync("w1.next"))?.Ended);
        Assert.Null((await _store.FindSandboxAsync("w2.other"))?.Ended);
        Assert.Equal(["w1.next"], (await Db.HashKeysAsync($"{_prefix}node:w1:live")).Select(k => k.ToString()));
    }

    [Fact]
    public async Task ADemandProfile_RoundTripsPerNode()
    {
        var predictor = new DemandPredictor(_time);
        predictor.Record("python");
        predictor.Record("node");
        var profile = predictor.Snapshot();

        await _store.SaveDemandProfileAsync("w1", profile);
        var loaded = await _store.LoadDemandProfileAsync("w1");

        Assert.NotNull(loaded);
        Assert.Equal(profile.Templates.Keys.Order(), loaded.Templates.Keys.Order());
        Assert.Equal(profile.Templates["python"].PerHour, loaded.Templates["python"].PerHour);
        Assert.Equal(profile.Templates["python"] with { PerHour = [] }, loaded.Templates["python"] with { PerHour = [] });
        Assert.Null(await _store.LoadDemandProfileAsync("w2"));
        Assert.InRange((await Db.KeyTimeToLiveAsync($"{_prefix}node:w1:demand"))!.Value, TimeSpan.FromDays(29), TimeSpan.FromDays(30));
    }

    [Fact]
    public async Task ARedisThatIsAway_FailsCallsInsteadOfHanging_AndAnEndWaitsOnlyTheWriteWait()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var options = Options.Create(new ClusterStateOptions { KeyPrefix = _prefix, WriteWaitMs = 300, RetrySeconds = 1 });
        await using var away = new RedisClusterStateStore($"127.0.0.1:{port},connectTimeout=500,asyncTimeout=500", options, TimeProvider.System);
        var recorder = new ClusterStateRecorder(away, options, TimeProvider.System, NullLogger<ClusterStateRecorder>.Instance);

        await Assert.ThrowsAnyAsync<Exception>(() => away.FindSandboxAsync("w1.a")).WaitAsync(TimeSpan.FromSeconds(30));
        var end = recorder.RecordAndWaitAsync("ended", (s, ct) => s.SandboxEndedAsync(Live("w1.a") with { Ended = new EndedSandbox(SandboxEnd.Killed, _time.GetUtcNow(), "killed") }, ct));
        await end.WaitAsync(TimeSpan.FromSeconds(30));
        var given = recorder.Record("live", (s, ct) => s.SandboxLiveAsync(Live("w1.b"), ct));
        await Assert.ThrowsAnyAsync<Exception>(() => given).WaitAsync(TimeSpan.FromSeconds(30));
        await recorder.FlushAsync();
    }
}
