using System.Net;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using SoulBox.Silo.Problems;

namespace SoulBox.Silo.Auth;

/// <summary>Authenticates a caller by API key (<c>X-API-Key</c>, <c>Authorization: Bearer</c>, or the password of
/// <c>Authorization: Basic</c> for browsers). The principal carries the tenant and, for admin keys (and loopback
/// callers when SoulBox:Auth:LoopbackIsAdmin holds), the admin claim. With no keys required every caller is the
/// default tenant.</summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    ApiKeyStore store) : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string TenantClaim = "soulbox:tenant";
    public const string AdminClaim = "soulbox:admin";

    private static readonly AuthenticateResult UnknownKey = AuthenticateResult.Fail("Unknown API key.");

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var loopback = store.LoopbackIsAdmin && IsLoopback(Context);
        if (!store.KeysRequired)
        {
            return Success(AuthOptions.DefaultTenant, admin: loopback);
        }

        if (KeyOf(Request) is not { Length: > 0 } key)
        {
            return AuthenticateResult.NoResult();
        }

        var (tenant, admin) = await store.FindAsync(key);
        return tenant is null && !admin ? UnknownKey : Success(tenant, admin || loopback);
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = Request.Path.StartsWithSegments("/dashboard") ? "Basic realm=\"SoulBox dashboard\"" : "Bearer";
        var failure = (await HandleAuthenticateOnceSafeAsync()).Failure;
        await WriteProblemAsync(GatewayErrorCodes.Unauthorized, failure is null
            ? "Send an API key in the X-API-Key header or as Authorization: Bearer <key>."
            : failure.Message);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        return WriteProblemAsync(GatewayErrorCodes.Forbidden, "This API key may not use this endpoint (the dashboard needs an admin key).");
    }

    private Task WriteProblemAsync(string code, string detail) =>
        ProblemWriter.WriteAsync(Context, ProblemTypes.Create(code, detail)).AsTask();

    private AuthenticateResult Success(string? tenant, bool admin)
    {
        List<Claim> claims = [];
        if (tenant is not null)
        {
            claims.Add(new Claim(TenantClaim, tenant));
            claims.Add(new Claim(ClaimTypes.Name, tenant));
        }

        if (admin)
        {
            claims.Add(new Claim(AdminClaim, "true"));
        }

        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));
    }

    internal static string? KeyOf(HttpRequest request)
    {
        if (request.Headers["X-API-Key"] is [{ Length: > 0 } header])
        {
            return header.Trim();
        }

        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization["Bearer ".Length..].Trim();
        }

        if (authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(authorization["Basic ".Length..].Trim()));
                return decoded[(decoded.IndexOf(':') + 1)..];
            }
            catch (FormatException)
            {
                return null;
            }
        }

        return null;
    }

    internal static bool IsLoopback(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } address && IPAddress.IsLoopback(address);
}
