using Microsoft.AspNetCore.Authentication;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using SoulBox.Silo.Problems;

namespace SoulBox.Silo.Auth;

/// <summary>Holds requests that carry no valid API key to a token bucket per remote address (an IPv6 caller by its
/// prefix), answering 429 with Retry-After once it is empty. Runs after authentication (a request with a valid key is
/// its tenant's business, limited per tenant) and before authorization, so 401s count too.</summary>
internal sealed class AnonymousRateLimitMiddleware(RequestDelegate next, AnonymousLimitOptions options)
{
    private readonly PartitionedRateLimiter<HttpContext> _limiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
        RateLimitPartition.GetTokenBucketLimiter(CallerOf(context, options.Ipv6PrefixBits), _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = options.Burst,
            TokensPerPeriod = options.RequestsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    public async Task InvokeAsync(HttpContext context)
    {
        if (options.RequestsPerSecond == 0 || context.User.Identity?.IsAuthenticated == true || IsProbe(context.Request.Path)
            || await IsE2bSandboxCallAsync(context))
        {
            await next(context);
            return;
        }

        using var lease = _limiter.AttemptAcquire(context);
        if (lease.IsAcquired)
        {
            await next(context);
            return;
        }

        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        await ProblemWriter.WriteAsync(context, ProblemTypes.Create(GatewayErrorCodes.RateLimited,
            "Too many requests without a valid API key from this address; retry after the Retry-After seconds."));
    }

    /// <summary>E2B's data plane carries no API key but the sandbox's own token: a call with a valid one is its
    /// tenant's, limited per tenant, never anonymous. One with a wrong token is counted here like any stranger.</summary>
    private static async ValueTask<bool> IsE2bSandboxCallAsync(HttpContext context) =>
        context.Request.Path.StartsWithSegments(E2b.E2bDataPlaneRouter.Prefix)
        && (await context.AuthenticateAsync(E2b.E2bAccessTokenHandler.SchemeName)).Succeeded;

    private static bool IsProbe(PathString path) => path.StartsWithSegments("/health") || path.StartsWithSegments("/ready");

    internal static string CallerOf(HttpContext context, int ipv6PrefixBits)
    {
        if (context.Connection.RemoteIpAddress is not { } address)
        {
            return "";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        // A host given a /64 can use 2^64 addresses: count them as one caller.
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        for (var bit = ipv6PrefixBits; bit < 128; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }

        return new IPAddress(bytes).ToString() + "/" + ipv6PrefixBits.ToString(CultureInfo.InvariantCulture);
    }
}
