using System.Collections.Concurrent;
using StackExchange.Redis;

namespace SoulBox.Silo.Auth;

/// <summary>Finds the tenant of an API key: configured keys first, then the Redis hash when SoulBox:Redis is set
/// (each answer from Redis, found or not, remembered for a short while so a request costs no Redis trip).</summary>
internal sealed partial class ApiKeyStore(AuthOptions options, ILogger<ApiKeyStore> logger) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, (string? Tenant, long At)> _fromRedis = new(StringComparer.Ordinal);
    private readonly HashSet<string> _adminKeys = new(options.AdminKeys, StringComparer.Ordinal);
    private readonly SemaphoreSlim _connecting = new(1, 1);
    private ConnectionMultiplexer? _redis;

    public bool KeysRequired => options.KeysRequired;

    public bool IsAdmin(string key) => _adminKeys.Contains(key);

    public async ValueTask<string?> FindTenantAsync(string key)
    {
        if (options.Keys.TryGetValue(key, out var tenant))
        {
            return tenant;
        }

        if (options.Redis is not { Length: > 0 } || key.Length > 256)
        {
            return null;
        }

        if (_fromRedis.TryGetValue(key, out var cached) && Environment.TickCount64 - cached.At < options.RedisCacheSeconds * 1000L)
        {
            return cached.Tenant;
        }

        try
        {
            var redis = await ConnectAsync();
            var value = await redis.GetDatabase().HashGetAsync(options.RedisHash, key);
            var found = value.HasValue && AuthOptions.IsValidTenant(value.ToString()) ? value.ToString() : null;
            if (_fromRedis.Count > 100_000)
            {
                _fromRedis.Clear();
            }

            _fromRedis[key] = (found, Environment.TickCount64);
            return found;
        }
        catch (RedisException e)
        {
            LogRedisFailed(e, options.RedisHash);
            return cached.Tenant; // A stale answer beats locking every tenant out while Redis is away.
        }
    }

    private async Task<ConnectionMultiplexer> ConnectAsync()
    {
        if (_redis is { } connected)
        {
            return connected;
        }

        await _connecting.WaitAsync();
        try
        {
            return _redis ??= await ConnectionMultiplexer.ConnectAsync(options.Redis!);
        }
        finally
        {
            _connecting.Release();
        }
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
}
