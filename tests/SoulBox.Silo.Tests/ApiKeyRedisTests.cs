using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SoulBox.Silo.Auth;
using StackExchange.Redis;

namespace SoulBox.Silo.Tests;

/// <summary>API keys in a real Redis (SOULBOX_TEST_REDIS), each test in a hash of its own that it deletes: the
/// <c>keys</c> command as an operator runs it, and the gateway's store reading what it wrote.</summary>
public sealed class ApiKeyRedisTests : IAsyncLifetime
{
    private readonly string _hash = $"soulbox-test:{Guid.NewGuid():N}:apikeys";
    private ConnectionMultiplexer _redis = null!;

    private static string Redis => Environment.GetEnvironmentVariable("SOULBOX_TEST_REDIS")
        ?? throw new InvalidOperationException("SOULBOX_TEST_REDIS is not set: run scripts/test.sh, or start redis-server on loopback and set it.");

    private IDatabase Db => _redis.GetDatabase();

    public async Task InitializeAsync() => _redis = await ConnectionMultiplexer.ConnectAsync(Redis);

    public async Task DisposeAsync()
    {
        await Db.KeyDeleteAsync(_hash);
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task KeysAdd_StoresOnlyTheHash_AndTheGatewayFindsTheTenant()
    {
        var (code, output, _) = await KeysAsync("add", "acme");
        Assert.Equal(0, code);
        var key = output.Split('\n')[0].Trim();
        Assert.StartsWith("sbk_", key);

        var stored = await Db.HashGetAllAsync(_hash);
        var entry = Assert.Single(stored);
        Assert.Equal(ApiKeyHash.HexOf(key), entry.Name.ToString());
        Assert.DoesNotContain(key, entry.Value.ToString());
        Assert.Contains("\"tenant\":\"acme\"", entry.Value.ToString());

        await using var store = Store(new FakeTimeProvider());
        Assert.Equal(("acme", false), await store.FindAsync(key));
        Assert.Equal((null, false), await store.FindAsync(key + "x"));
    }

    [Fact]
    public async Task KeysRevoke_StopsTheKeyOnceTheCacheTimeHasPassed()
    {
        var (_, output, _) = await KeysAsync("add", "acme");
        var key = output.Split('\n')[0].Trim();
        var time = new FakeTimeProvider();
        await using var store = Store(time);
        Assert.Equal("acme", (await store.FindAsync(key)).Tenant);

        var (_, list, _) = await KeysAsync("list");
        var id = list.Split('\n').Single(l => l.StartsWith("acme\t", StringComparison.Ordinal)).Split('\t')[1];
        Assert.Equal(ApiKeyHash.IdOf(ApiKeyHash.HexOf(key)), id);
        var (code, revoked, _) = await KeysAsync("revoke", id);
        Assert.Equal(0, code);
        Assert.Contains($"revoked key {id} of tenant acme", revoked);

        // Remembered for RedisCacheSeconds (5 s), then gone.
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal("acme", (await store.FindAsync(key)).Tenant);
        time.Advance(TimeSpan.FromSeconds(1.5));
        Assert.Null((await store.FindAsync(key)).Tenant);
        Assert.Equal(1, (await KeysAsync("revoke", id)).Code);
    }

    [Fact]
    public async Task KeysRotate_PrintsANewKey_AndRevokesOnlyThatTenantsOlderKeys()
    {
        var old = (await KeysAsync("add", "acme")).Output.Split('\n')[0].Trim();
        var other = (await KeysAsync("add", "globex")).Output.Split('\n')[0].Trim();
        var (code, output, _) = await KeysAsync("rotate", "acme");
        Assert.Equal(0, code);
        var fresh = output.Split('\n')[0].Trim();
        Assert.StartsWith("sbk_", fresh);
        Assert.Contains($"revoked key {ApiKeyHash.IdOf(ApiKeyHash.HexOf(old))} of tenant acme", output);

        await using var store = Store(new FakeTimeProvider());
        Assert.Null((await store.FindAsync(old)).Tenant);
        Assert.Equal("acme", (await store.FindAsync(fresh)).Tenant);
        Assert.Equal("globex", (await store.FindAsync(other)).Tenant);
    }

    [Fact]
    public async Task PlaintextEntries_AreRefused_UntilMigratedToHashes()
    {
        const string legacy = "plaintext-legacy-key-000000001";
        await Db.HashSetAsync(_hash, legacy, "oldco");
        await using (var store = Store(new FakeTimeProvider()))
        {
            Assert.Null((await store.FindAsync(legacy)).Tenant);
        }

        var (_, _, warning) = await KeysAsync("list");
        Assert.Contains("1 plaintext entry is refused", warning);
        var (code, output, _) = await KeysAsync("migrate");
        Assert.Equal(0, code);
        Assert.Contains("converted 1 plaintext entry", output);
        Assert.False(await Db.HashExistsAsync(_hash, legacy));

        await using var migrated = Store(new FakeTimeProvider());
        Assert.Equal("oldco", (await migrated.FindAsync(legacy)).Tenant);
    }

    [Fact]
    public async Task ConfiguredKeys_StillWorkBesideRedis_AndAdminKeysAreTold()
    {
        var options = Options();
        options.Keys["configured-key-of-tenant-0000001"] = "configured";
        options.AdminKeys.Add("configured-admin-key-0000000001");
        await using var store = new ApiKeyStore(options, new FakeTimeProvider(), NullLogger<ApiKeyStore>.Instance);
        Assert.Equal(("configured", false), await store.FindAsync("configured-key-of-tenant-0000001"));
        Assert.Equal((null, true), await store.FindAsync("configured-admin-key-0000000001"));
    }

    private ApiKeyStore Store(TimeProvider time) => new(Options(), time, NullLogger<ApiKeyStore>.Instance);

    private AuthOptions Options() => AuthOptions.From(Configuration());

    private IConfiguration Configuration() => new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["SoulBox:Redis"] = Redis,
        ["SoulBox:Auth:RedisHash"] = _hash,
    }).Build();

    private async Task<(int Code, string Output, string Error)> KeysAsync(params string[] words)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await KeysCommand.RunAsync(words, Configuration(), output, error);
        return (code, output.ToString(), error.ToString());
    }
}
