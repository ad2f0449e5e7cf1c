using System.Collections.Concurrent;
using StackExchange.Redis;

namespace SoulBox.Silo.Auth;

/// <summary>Finds the tenant of an API key: configured keys first, then the Redis hash of key hashes when SoulBox:Redis
/// is set. Keys are compared as SHA-256 hashes in constant time and never kept in memory as presented; each answer
/// from Redis, found or not, is remembered for <see cref="AuthOptions.RedisCacheSeconds"/> (default 5 s), which is
/// how long a revoked key keeps working on a gateway that saw it just before.</summary>
internal sealed partial class ApiKeyStore(AuthOptions options, TimeProvider time, ILogger<ApiKeyStore> logger) : IAsyncDisposable
{
    private const int MaxCachedAnswers = 100_000;
    private readonly (byte[] Hash, string Tenant)[] _configured = [.. options.Keys.Select(k => (ApiKeyHash.Of(k.Key), k.Value))];
    private readonly byte[][] _adminKeys = [.. options.AdminKeys.Select(ApiKeyHash.Of)];
    private readonly ConcurrentDictionary<string, (string? Tenant, long At)> _fromRedis = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _connecting = new(1, 1);
    private ConnectionMultiplexer? _redis;

    public bool KeysRequired => options.KeysRequired;

    public bool LoopbackIsAdmin => options.LoopbackAdmin;

    /// <summary>The key's tenant (null when unknown) and whether it is an admin key.</summary>
    public async ValueTask<(string? Tenant, bool Admin)> FindAsync(string key)
    {
        if (key.Length > 256)
        {
            return (null, false);
        }

        var hash = ApiKeyHash.Of(key);
        var admin = false;
        foreach (var adminKey in _adminKeys)
        {
            admin |= ApiKeyHash.Same(hash, adminKey);
        }

        string? tenant = null;
        foreach (var (configured, configuredTenant) in _configured)
        {
            // No early exit: every configured key is compared, so timing does not say which one (or how many) matched.
            if (ApiKeyHash.Same(hash, configured))
            {
                tenant = configuredTenant;
            }
        }

        if (tenant is null && options.Redis is { Length: > 0 })
        {
            tenant = await FindInRedisAsync(Convert.ToHexStringLower(hash));
        }

        return (tenant, admin);
    }

    private async ValueTask<string?> FindInRedisAsync(string hashHex)
    {
        var now = time.GetTimestamp();
        if (_fromRedis.TryGetValue(hashHex, out var cached) && time.GetElapsedTime(cached.At, now) < TimeSpan.FromSeconds(options.RedisCacheSeconds))
        {
            return cached.Tenant;
        }

        try
        {
            var found = await (await KeysAsync()).FindTenantAsync(hashHex);
            if (_fromRedis.Count > MaxCachedAnswers)
            {
                _fromRedis.Clear();
            }

            _fromRedis[hashHex] = (found, now);
            return found;
        }
        catch (RedisException e)
        {
            LogRedisFailed(e, options.RedisHash);
            return cached.Tenant; // A stale answer beats locking every tenant out while Redis is away.
        }
    }

    /// <summary>Logs a warning when the Redis hash still holds plaintext entries (key → tenant, the old format): they are
    /// refused, and <c>SoulBox.Silo keys migrate</c> converts them.</summary>
    public async Task WarnAboutPlaintextKeysAsync()
    {
        if (options.Redis is not { Length: > 0 })
        {
            return;
        }

        try
        {
            var (keys, plaintext) = await (await KeysAsync()).ListAsync();
            if (plaintext > 0)
            {
                LogPlaintextKeys(plaintext, options.RedisHash);
            }
            else
            {
                LogRedisKeys(keys.Count, options.RedisHash);
            }
        }
        catch (RedisException e)
        {
            LogRedisFailed(e, options.RedisHash);
        }
    }

    private async Task<RedisApiKeys> KeysAsync()
    {
        if (_redis is not { } connected)
        {
            await _connecting.WaitAsync();
            try
            {
                connected = _redis ??= await ConnectionMultiplexer.ConnectAsync(options.Redis!);
            }
            finally
            {
                _connecting.Release();
            }
        }

        return new RedisApiKeys(connected.GetDatabase(), options.RedisHash, time);
    }

    public async ValueTask DisposeAsync()
    {
        if (_redis is { } redis)
        {
            await redis.DisposeAsync();
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Could not read API keys from Redis hash {Hash}")]
    private partial void LogRedisFailed(Exception exception, string hash);

    [LoggerMessage(2, LogLevel.Warning, "Redis hash {Hash} holds {Count} plaintext API key entries (key -> tenant, the old format). " +
        "They are refused: run 'SoulBox.Silo keys migrate' once to store them hashed, or revoke them.")]
    private partial void LogPlaintextKeys(int count, string hash);

    [LoggerMessage(3, LogLevel.Information, "API keys: {Count} hashed key(s) in Redis hash {Hash}")]
    private partial void LogRedisKeys(int count, string hash);
}
