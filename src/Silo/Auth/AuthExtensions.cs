using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SoulBox.Silo.Problems;

namespace SoulBox.Silo.Auth;

public static class AuthExtensions
{
    /// <summary>Policy of every tenant endpoint: an authenticated caller with a tenant.</summary>
    public const string TenantPolicy = "tenant";

    /// <summary>Policy of the dashboard: an admin key, or a loopback caller when SoulBox:Auth:LoopbackIsAdmin holds
    /// (by default only without keys).</summary>
    public const string AdminPolicy = "admin";

    /// <summary>Rate-limiter policy: a token bucket per tenant (SoulBox:Limits).</summary>
    public const string TenantRateLimit = "tenant";

    /// <summary>API keys → tenants, the tenant and admin policies, per-tenant request rate and sandbox limits.
    /// Bad settings stop start-up with a message naming them.</summary>
    public static IHostApplicationBuilder AddSoulBoxAuth(this IHostApplicationBuilder builder)
    {
        var auth = AuthOptions.From(builder.Configuration);
        var limits = new LimitsOptions();
        builder.Configuration.GetSection(LimitsOptions.SectionName).Bind(limits);
        var anonymous = new AnonymousLimitOptions();
        builder.Configuration.GetSection(AnonymousLimitOptions.SectionName).Bind(anonymous);
        var problems = auth.Validate().Concat(limits.Validate()).Concat(anonymous.Validate()).ToList();
        if (problems.Count > 0)
        {
            throw new InvalidOperationException("Invalid SoulBox configuration: " + string.Join(" ", problems));
        }

        var services = builder.Services;
        services.AddSingleton(auth);
        services.AddSingleton(limits);
        services.AddSingleton(anonymous);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ApiKeyStore>();
        services.AddHostedService<ApiKeyStartupCheck>();
        services.AddSingleton<TenantSandboxQuota>();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(TenantPolicy, p => p.RequireClaim(ApiKeyAuthenticationHandler.TenantClaim))
            .AddPolicy(AdminPolicy, p => p.RequireAssertion(c => IsAdmin(c, auth)));
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = OnRejectedAsync;
            o.AddPolicy(TenantRateLimit, context => Partition(context, limits));
        });
        return builder;
    }

    /// <summary>Requests without a valid API key, limited per remote address (SoulBox:AnonymousLimits). Goes between
    /// authentication and authorization, so 401s are counted.</summary>
    public static IApplicationBuilder UseAnonymousRateLimit(this IApplicationBuilder app) =>
        app.UseMiddleware<AnonymousRateLimitMiddleware>();

    private static bool IsAdmin(AuthorizationHandlerContext context, AuthOptions auth) =>
        context.User.HasClaim(c => c.Type == ApiKeyAuthenticationHandler.AdminClaim)
        || (auth.LoopbackAdmin && context.Resource is HttpContext http && ApiKeyAuthenticationHandler.IsLoopback(http));

    private static RateLimitPartition<string> Partition(HttpContext context, LimitsOptions limits)
    {
        var tenant = context.User.FindFirst(ApiKeyAuthenticationHandler.TenantClaim)?.Value;
        if (tenant is null)
        {
            return RateLimitPartition.GetNoLimiter("");
        }

        var own = limits.For(tenant);
        if (own.RequestsPerSecond is not > 0)
        {
            return RateLimitPartition.GetNoLimiter(tenant);
        }

        return RateLimitPartition.GetTokenBucketLimiter(tenant, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = own.Burst ?? 1,
            TokensPerPeriod = own.RequestsPerSecond.Value,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    private static async ValueTask OnRejectedAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        var http = context.HttpContext;
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await ProblemWriter.WriteAsync(http, ProblemTypes.Create(GatewayErrorCodes.RateLimited,
            $"Tenant '{http.Tenant()}' is over its request rate; retry after the Retry-After seconds."));
    }
}
