using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using SoulBox.Silo.Auth;

namespace SoulBox.Silo.E2b;

/// <summary>Authenticates an E2B data-plane request by the sandbox's own tokens (the SDK sends no API key there): the
/// principal is the sandbox's tenant, so the tenant's rate and in-flight limits apply and the anonymous limit does
/// not. A request without a valid token is a 401; a sandbox that does not exist or has ended is a 502, which is how
/// E2B's proxy answers and what makes the SDK's <c>isRunning()</c> read false.</summary>
internal sealed class E2bAccessTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    E2bSandboxDirectory directory) : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "E2bAccessToken";
    public const string PolicyName = "e2b-sandbox";
    public const string SandboxClaim = "soulbox:e2b-sandbox";
    private const string GoneKey = "soulbox.e2b.gone";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Context.GetRouteValue("sandboxId") is not string sandboxId)
        {
            return AuthenticateResult.NoResult();
        }

        var sandbox = await directory.FindAsync(sandboxId);
        if (sandbox is null)
        {
            Context.Items[GoneKey] = sandboxId;
            return AuthenticateResult.Fail($"Sandbox '{sandboxId}' was not found.");
        }

        if (!E2bSandboxDirectory.Admits(sandbox, Request))
        {
            return AuthenticateResult.Fail("Send the sandbox's envdAccessToken as X-Access-Token (or its trafficAccessToken as E2B-Traffic-Access-Token).");
        }

        Claim[] claims =
        [
            new(ApiKeyAuthenticationHandler.TenantClaim, sandbox.Tenant),
            new(ClaimTypes.Name, sandbox.Tenant),
            new(SandboxClaim, sandboxId),
        ];
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        if (Context.Items[GoneKey] is string sandboxId)
        {
            Response.StatusCode = StatusCodes.Status502BadGateway;
            await Response.WriteAsJsonAsync(new { sandboxId, code = StatusCodes.Status502BadGateway, message = $"The sandbox {sandboxId} was not found (it ended, or never existed)." });
            return;
        }

        Response.StatusCode = StatusCodes.Status401Unauthorized;
        var message = result.Failure?.Message ?? "Send the sandbox's access token.";
        // envd's Connect clients read {code: "unauthenticated"}; the code interpreter's read the status.
        await Response.WriteAsJsonAsync(new { code = "unauthenticated", message });
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) => HandleChallengeAsync(properties);
}
