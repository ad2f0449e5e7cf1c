using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace SoulBox.Silo.Hosting;

/// <summary>Without API keys the gateway must not be reachable from other hosts: configured addresses are checked
/// before start-up, and the addresses actually bound are checked again once the server runs.</summary>
internal static class LoopbackGuard
{
    public const string Advice = "No API keys are configured (SoulBox:Auth:Keys), so the gateway may only listen on loopback " +
        "(127.0.0.1, [::1], localhost). Configure API keys, or bind to 127.0.0.1.";

    /// <summary>Throws when one of the configured URLs is not a loopback address.</summary>
    public static void CheckConfigured(IEnumerable<string> urls)
    {
        foreach (var url in urls)
        {
            if (!IsLoopbackUrl(url))
            {
                throw new InvalidOperationException($"Refusing to listen on '{url}'. {Advice}");
            }
        }
    }

    /// <summary>After start: stops the host when a non-loopback address was bound some other way (Kestrel:Endpoints, ...).</summary>
    public static void CheckBound(IServer server, IHostApplicationLifetime lifetime, ILogger logger)
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (var address in addresses.Where(a => !IsLoopbackUrl(a)))
        {
            logger.LogCritical("Listening on {Address}, which is not loopback. {Advice} Stopping.", address, Advice);
            lifetime.StopApplication();
        }
    }

    public static bool IsLoopbackUrl(string url)
    {
        var rest = url.Trim();
        var scheme = rest.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            rest = rest[(scheme + 3)..];
        }

        var slash = rest.IndexOf('/');
        if (slash >= 0)
        {
            rest = rest[..slash];
        }

        string host;
        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']');
            host = close > 0 ? rest[1..close] : rest;
        }
        else
        {
            var colon = rest.LastIndexOf(':');
            host = colon >= 0 ? rest[..colon] : rest;
        }

        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
    }
}
