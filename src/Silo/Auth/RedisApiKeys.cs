using StackExchange.Redis;

namespace SoulBox.Silo.Auth;

/// <summary>The API keys kept in Redis (hash <see cref="AuthOptions.RedisHash"/>): SHA-256 hex of the key → entry.
/// The key itself is shown once, when made, and stored nowhere. Used by the gateway to look keys up and by the
/// <c>keys</c> command to add, list, revoke, rotate and migrate them.</summary>
internal sealed class RedisApiKeys(IDatabase redis, string hash, TimeProvider time)
{
    /// <summary>The tenant of a key hash, or null when no hashed entry has it.</summary>
    public async Task<string?> FindTenantAsync(string hashHex)
    {
        var value = await redis.HashGetAsync(hash, hashHex);
        return value.HasValue ? ApiKeyEntry.Parse(hashHex, value.ToString())?.Tenant : null;
    }

    /// <summary>Makes a new random key for <paramref name="tenant"/>; the returned key is the only copy.</summary>
    public async Task<(string Key, ApiKeyEntry Entry)> AddAsync(string tenant)
    {
        if (!AuthOptions.IsValidTenant(tenant))
        {
            throw new ArgumentException($"Tenant '{tenant}' must be 1-64 letters, digits, '-', '_' or '.'.", nameof(tenant));
        }

        var key = ApiKeyHash.NewKey();
        var hashHex = ApiKeyHash.HexOf(key);
        var created = time.GetUtcNow();
        await redis.HashSetAsync(hash, hashHex, ApiKeyEntry.Serialize(tenant, created));
        return (key, new ApiKeyEntry(ApiKeyHash.IdOf(hashHex), tenant, created));
    }

    /// <summary>Every hashed entry, oldest first, and how many entries are plaintext (old format, refused).</summary>
    public async Task<(IReadOnlyList<ApiKeyEntry> Keys, int Plaintext)> ListAsync()
    {
        List<ApiKeyEntry> keys = [];
        var plaintext = 0;
        await foreach (var field in redis.HashScanAsync(hash))
        {
            if (ApiKeyEntry.Parse(field.Name.ToString(), field.Value.ToString()) is { } entry)
            {
                keys.Add(entry);
            }
            else
            {
                plaintext++;
            }
        }

        return ([.. keys.OrderBy(k => k.Created).ThenBy(k => k.Id, StringComparer.Ordinal)], plaintext);
    }

    /// <summary>Removes the one key whose id starts with <paramref name="keyId"/> (at least 6 hex digits); null when none
    /// does. Throws when the prefix names several keys.</summary>
    public async Task<ApiKeyEntry?> RevokeAsync(string keyId)
    {
        var prefix = keyId.Trim().ToLowerInvariant();
        if (prefix.Length is < 6 or > 64 || !prefix.All(char.IsAsciiHexDigit))
        {
            throw new ArgumentException("A key id is 6 to 64 hex digits (as shown by 'keys list').", nameof(keyId));
        }

        List<(string Field, ApiKeyEntry Entry)> matches = [];
        await foreach (var field in redis.HashScanAsync(hash, prefix + "*"))
        {
            if (ApiKeyEntry.Parse(field.Name.ToString(), field.Value.ToString()) is { } entry)
            {
                matches.Add((field.Name.ToString(), entry));
            }
        }

        if (matches.Count > 1)
        {
            throw new ArgumentException($"Key id '{keyId}' names {matches.Count} keys; give more digits.", nameof(keyId));
        }

        if (matches is not [var match])
        {
            return null;
        }

        await redis.HashDeleteAsync(hash, match.Field);
        return match.Entry;
    }

    /// <summary>Adds a new key for <paramref name="tenant"/>, then revokes every key the tenant had before. The caller
    /// prints the new key before the old ones stop working (within the gateways' cache time).</summary>
    public async Task<(string Key, ApiKeyEntry Entry, IReadOnlyList<ApiKeyEntry> Revoked)> RotateAsync(string tenant, Func<string, ApiKeyEntry, Task> announce)
    {
        var (before, _) = await ListAsync();
        var (key, entry) = await AddAsync(tenant);
        await announce(key, entry);
        List<ApiKeyEntry> revoked = [];
        foreach (var old in before.Where(k => k.Tenant == tenant))
        {
            if (await RevokeAsync(old.Id) is { } gone)
            {
                revoked.Add(gone);
            }
        }

        return (key, entry, revoked);
    }

    /// <summary>Converts plaintext entries (field = key, value = tenant) to hashed entries, each in one transaction;
    /// entries whose value is not a valid tenant are left alone and counted. Returns (converted, skipped).</summary>
    public async Task<(int Converted, int Skipped)> MigrateAsync()
    {
        var (converted, skipped) = (0, 0);
        List<HashEntry> plaintext = [];
        await foreach (var field in redis.HashScanAsync(hash))
        {
            if (ApiKeyEntry.Parse(field.Name.ToString(), field.Value.ToString()) is null)
            {
                plaintext.Add(field);
            }
        }

        foreach (var field in plaintext)
        {
            var key = field.Name.ToString();
            var tenant = field.Value.ToString();
            if (!AuthOptions.IsValidTenant(tenant) || key.Length < 16)
            {
                skipped++;
                continue;
            }

            var transaction = redis.CreateTransaction();
            transaction.AddCondition(Condition.HashEqual(hash, key, tenant));
            _ = transaction.HashSetAsync(hash, ApiKeyHash.HexOf(key), ApiKeyEntry.Serialize(tenant, time.GetUtcNow()));
            _ = transaction.HashDeleteAsync(hash, key);
            if (await transaction.ExecuteAsync())
            {
                converted++;
            }
        }

        return (converted, skipped);
    }
}
