using System.Security.Cryptography;
using System.Text;

namespace SoulBox.Silo.Auth;

/// <summary>How API keys are stored and named: SHA-256 of the key's UTF-8 bytes. Keys are long random strings, so a
/// plain (unsalted, fast) hash is enough to make a leaked Redis dump useless without making lookups slow; the key id
/// shown to operators is a prefix of that hash, never of the key.</summary>
internal static class ApiKeyHash
{
    /// <summary>Hex digits of the hash that name a key in <c>keys list</c> / <c>keys revoke</c> (48 bits).</summary>
    public const int KeyIdLength = 12;

    public static byte[] Of(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public static string HexOf(string key) => Convert.ToHexStringLower(Of(key));

    public static string IdOf(string hashHex) => hashHex[..KeyIdLength];

    /// <summary>Whether a Redis field is a stored hash (64 lower-case hex digits) rather than a plaintext key.</summary>
    public static bool IsHashHex(string field) =>
        field.Length == 64 && field.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    /// <summary>A new key: "sbk_" and 32 random bytes, base64url (256 bits of entropy).</summary>
    public static string NewKey() =>
        "sbk_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Compares two hashes without an early exit, so the time taken says nothing about how much matched.</summary>
    public static bool Same(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => CryptographicOperations.FixedTimeEquals(a, b);
}
