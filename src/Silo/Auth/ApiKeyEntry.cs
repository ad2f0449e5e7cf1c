using System.Text.Json;

namespace SoulBox.Silo.Auth;

/// <summary>One key in the Redis hash: its id (a prefix of its SHA-256), tenant and creation time. The value stored
/// under the hash is <c>{"tenant":"...","created":"..."}</c>; a bare tenant name is a plaintext entry of the old format.</summary>
internal sealed record ApiKeyEntry(string Id, string Tenant, DateTimeOffset Created)
{
    public static string Serialize(string tenant, DateTimeOffset created) =>
        JsonSerializer.Serialize(new StoredEntry(tenant, created));

    /// <summary>The entry, or null when the field or value is not of the hashed format (or the tenant is invalid).</summary>
    public static ApiKeyEntry? Parse(string field, string? value)
    {
        if (!ApiKeyHash.IsHashHex(field) || value is not ['{', ..])
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<StoredEntry>(value) is { Tenant: { } tenant } stored && AuthOptions.IsValidTenant(tenant)
                ? new ApiKeyEntry(ApiKeyHash.IdOf(field), tenant, stored.Created)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed record StoredEntry(
        [property: System.Text.Json.Serialization.JsonPropertyName("tenant")] string? Tenant,
        [property: System.Text.Json.Serialization.JsonPropertyName("created")] DateTimeOffset Created);
}
