using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using SoulBox.Grains;
using SoulBox.Silo.Auth;
using SoulBox.Silo.E2b.CodeInterpreter;
using SoulBox.Silo.E2b.Envd;

namespace SoulBox.Silo.E2b;

public static class E2bGatewayExtensions
{
    /// <summary>The E2B-compatible surface's services: options (SoulBox:E2b), the data plane's sandbox directory and
    /// token authentication, envd.</summary>
    public static IHostApplicationBuilder AddSoulBoxE2b(this IHostApplicationBuilder builder)
    {
        var options = new E2bOptions();
        builder.Configuration.GetSection(E2bOptions.SectionName).Bind(options);
        var problems = options.Validate().ToList();
        if (problems.Count > 0)
        {
            throw new InvalidOperationException("Invalid SoulBox configuration: " + string.Join(" ", problems));
        }

        builder.Services.AddOptions<E2bOptions>().Bind(builder.Configuration.GetSection(E2bOptions.SectionName));
        builder.Services.AddSingleton<E2bSandboxDirectory>();
        builder.Services.AddE2bEnvd();
        builder.Services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, E2bAccessTokenHandler>(E2bAccessTokenHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder().AddPolicy(E2bAccessTokenHandler.PolicyName, policy => policy
            .AddAuthenticationSchemes(E2bAccessTokenHandler.SchemeName)
            .RequireClaim(E2bAccessTokenHandler.SandboxClaim));
        return builder;
    }

    /// <summary>Moves E2B data-plane requests under their private prefix; must run before routing.</summary>
    public static IApplicationBuilder UseE2bDataPlaneRouter(this IApplicationBuilder app) =>
        app.ApplicationServices.GetRequiredService<IOptions<E2bOptions>>().Value.Enabled ? app.UseMiddleware<E2bDataPlaneRouter>() : app;

    /// <summary>E2B's control plane and, under the router's prefix, envd and the code interpreter: authenticated by the
    /// sandbox's tokens, then held to the sandbox tenant's rate and in-flight limits like any tenant request.</summary>
    public static WebApplication MapE2b(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<IOptions<E2bOptions>>().Value.Enabled)
        {
            return app;
        }

        app.MapE2bApi();
        var envd = DataPlane(app, E2bDataPlaneRouter.EnvdPrefix);
        envd.Map("/{**path}", (string sandboxId, HttpContext http, EnvdService service, IGrainFactory grains, E2bSandboxDirectory directory) =>
            ForwardAsync(sandboxId, http, service, grains, directory));
        DataPlane(app, E2bDataPlaneRouter.InterpreterPrefix).MapCodeInterpreter();
        return app;
    }

    private static RouteGroupBuilder DataPlane(WebApplication app, string prefix) =>
        app.MapGroup(prefix + "/{sandboxId}")
            .RequireAuthorization(E2bAccessTokenHandler.PolicyName)
            .RequireRateLimiting(AuthExtensions.TenantRateLimit)
            .WithMetadata(TenantInFlightLimiter.Marker)
            .ExcludeFromDescription();

    private static async Task ForwardAsync(string sandboxId, HttpContext http, EnvdService service, IGrainFactory grains, E2bSandboxDirectory directory)
    {
        if (http.Items[E2bDataPlaneRouter.OriginalPathKey] is PathString original)
        {
            // envd dispatches on the path the SDK sent.
            http.Request.Path = original;
        }

        var known = await directory.FindAsync(sandboxId);
        if (known is not null && http.Request.Path == "/health")
        {
            // The SDK's isRunning(): alive is 204; an ended sandbox must read 502, and the directory remembers ended
            // sandboxes (it cannot see an expiry), so ask the grain.
            try
            {
                await known.Grain(grains).GetInfoAsync();
                http.Response.StatusCode = StatusCodes.Status204NoContent;
                return;
            }
            catch (SoulBoxException e) when (e is SandboxKilledException or SandboxExpiredException or SandboxLostException or SandboxNotFoundException)
            {
                directory.Forget(sandboxId);
                known = null;
            }
        }

        if (known is null)
        {
            http.Response.StatusCode = StatusCodes.Status502BadGateway;
            await http.Response.WriteAsJsonAsync(new { sandboxId, code = StatusCodes.Status502BadGateway, message = $"The sandbox {sandboxId} was not found." });
            return;
        }

        await service.HandleAsync(http, new E2bSandboxTarget(sandboxId, known.Grain(grains), known.Info, BasicUser(http.Request)), http.RequestAborted);
    }

    /// <summary>envd's <c>Authorization: Basic base64("&lt;user&gt;:")</c> names the user a command should run as.</summary>
    private static string? BasicUser(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        try
        {
            var decoded = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(authorization["Basic ".Length..].Trim()));
            var colon = decoded.IndexOf(':');
            return colon > 0 ? decoded[..colon] : decoded.Length > 0 && colon < 0 ? decoded : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
