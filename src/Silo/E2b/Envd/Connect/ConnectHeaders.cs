using System.Globalization;

namespace SoulBox.Silo.E2b.Envd.Connect;

/// <summary>The Connect request headers envd honours.</summary>
internal static class ConnectHeaders
{
    public const string TimeoutMs = "Connect-Timeout-Ms";
    /// <summary>E2B's own header: seconds between keep-alive events on an idle stream (the SDK sends 50).</summary>
    public const string KeepalivePingInterval = "Keepalive-Ping-Interval";

    /// <summary>Connect-Timeout-Ms (at most 10 digits, per the protocol), or null when absent or malformed.</summary>
    public static long? TimeoutMilliseconds(HttpRequest request)
    {
        var value = request.Headers[TimeoutMs];
        return value.Count == 1 && value[0] is { Length: > 0 and <= 10 } text
            && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms > 0
            ? ms
            : null;
    }

    /// <summary>Keepalive-Ping-Interval in seconds, clamped to [1 s, 1 h]; null when absent or malformed.</summary>
    public static TimeSpan? KeepaliveInterval(HttpRequest request)
    {
        var value = request.Headers[KeepalivePingInterval];
        return value.Count == 1 && int.TryParse(value[0], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(Math.Min(seconds, 3600))
            : null;
    }

    /// <summary>Whether <paramref name="contentType"/> is <paramref name="expected"/>, parameters (charset) aside.</summary>
    public static bool IsMediaType(string? contentType, string expected)
    {
        if (contentType is null)
        {
            return false;
        }

        var semicolon = contentType.IndexOf(';');
        var media = (semicolon < 0 ? contentType.AsSpan() : contentType.AsSpan(0, semicolon)).Trim();
        return media.Equals(expected, StringComparison.OrdinalIgnoreCase);
    }
}
