using Microsoft.Extensions.Options;

namespace SoulBox.Silo.E2b;

/// <summary>Finds E2B data-plane requests before routing and moves them under a private prefix, so envd's and the
/// code interpreter's paths (<c>/health</c>, <c>/files</c>, <c>/execute</c>, ...) never clash with SoulBox's own.
/// A request is for the data plane when it carries <c>E2b-Sandbox-Id</c> (what the SDKs send when E2B_SANDBOX_URL
/// points at the gateway), or when its host is <c>&lt;port&gt;-&lt;sandboxId&gt;.&lt;SoulBox:E2b:Domain&gt;</c> (a
/// wildcard TLS proxy in front). Port 49983 is envd, 49999 the code interpreter; anything else is a port nothing
/// listens on (sandboxes have no network).</summary>
internal sealed class E2bDataPlaneRouter(RequestDelegate next, IOptions<E2bOptions> options)
{
    public const string Prefix = "/_e2b";
    public const string EnvdPrefix = Prefix + "/envd";
    public const string InterpreterPrefix = Prefix + "/interpreter";
    public const int EnvdPort = 49983;
    public const int InterpreterPort = 49999;

    /// <summary>HttpContext.Items key of the path the caller sent.</summary>
    public const string OriginalPathKey = "soulbox.e2b.path";

    private readonly string? _hostSuffix = options.Value.Domain is { } domain ? "." + domain.ToLowerInvariant() : null;

    public async Task InvokeAsync(HttpContext http)
    {
        var path = http.Request.Path;
        if (path.StartsWithSegments(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            // Only this router may put a request there; a caller naming the prefix gets what an unknown path gets.
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        if (!TryFind(http.Request, out var sandboxId, out var port))
        {
            await next(http);
            return;
        }

        var prefix = port switch
        {
            EnvdPort => EnvdPrefix,
            InterpreterPort => InterpreterPrefix,
            _ => null,
        };
        if (prefix is null || sandboxId.Length is 0 or > 128)
        {
            // E2B's proxy answers a port with no listener this way.
            http.Response.StatusCode = StatusCodes.Status502BadGateway;
            await http.Response.WriteAsJsonAsync(new { sandboxId, port, message = $"Nothing listens on port {port} in the sandbox (SoulBox serves envd on {EnvdPort} and the code interpreter on {InterpreterPort}; sandboxes have no network)." });
            return;
        }

        http.Items[OriginalPathKey] = path;
        http.Request.Path = new PathString($"{prefix}/{Uri.EscapeDataString(sandboxId)}").Add(path);
        await next(http);
    }

    private bool TryFind(HttpRequest request, out string sandboxId, out int port)
    {
        if (request.Headers["E2b-Sandbox-Id"] is [{ Length: > 0 } id])
        {
            sandboxId = id.Trim();
            port = request.Headers["E2b-Sandbox-Port"] is [{ } given] ? (int.TryParse(given, out var p) ? p : -1) : EnvdPort;
            return true;
        }

        sandboxId = "";
        port = 0;
        if (_hostSuffix is null)
        {
            return false;
        }

        // <port>-<sandboxId>.<domain>; ids are "<node>.<random>", so the id is everything between the dash and the domain.
        var host = request.Host.Host;
        if (!host.EndsWith(_hostSuffix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var label = host[..^_hostSuffix.Length];
        var dash = label.IndexOf('-');
        if (dash <= 0 || !int.TryParse(label.AsSpan(0, dash), out port))
        {
            return false;
        }

        sandboxId = label[(dash + 1)..];
        return true;
    }
}
