using System.Collections.Concurrent;
using System.Globalization;
using SoulBox.Silo.Problems;

namespace SoulBox.Silo.Auth;

/// <summary>Holds each tenant to <see cref="LimitsOptions.MaxInFlight"/> requests at once on this gateway, counted
/// from the moment a tenant endpoint is entered until its response is fully written (a download or an event stream
/// holds its slot while it streams). One more is answered 429 with Retry-After at once, before any work: the rate
/// limit bounds how fast a tenant asks, this bounds how much a tenant can make the node hold at one time (every
/// request in flight holds buffers, a sandbox slot and a connection). Only endpoints marked by
/// <see cref="Marker"/> (<c>RequireTenant</c>) count. An endpoint whose response may last as long as a process runs (a
/// background process's event stream) gives its slot back once the stream has begun (<see cref="TenantInFlightSlot"/>)
/// and is held to its own bound instead (<c>ProcessStreamLimiter</c>), so long attaches cannot starve the tenant's
/// other requests.</summary>
internal sealed class TenantInFlightLimiter(RequestDelegate next, LimitsOptions limits)
{
    /// <summary>Endpoint metadata that puts an endpoint under the limit.</summary>
    public static readonly object Marker = new TenantInFlightMarker();

    /// <summary>What a refused caller is told to wait: requests in flight end by themselves, usually within seconds.</summary>
    private const int RetryAfterSeconds = 1;

    private readonly ConcurrentDictionary<string, StrongCounter> _tenants = new(StringComparer.Ordinal);

    public async Task InvokeAsync(HttpContext http)
    {
        var tenant = http.User.FindFirst(ApiKeyAuthenticationHandler.TenantClaim)?.Value;
        var max = tenant is null || http.GetEndpoint()?.Metadata.GetMetadata<TenantInFlightMarker>() is null
            ? 0
            : limits.For(tenant).MaxInFlight ?? 0;
        if (max <= 0)
        {
            await next(http);
            return;
        }

        var counter = _tenants.GetOrAdd(tenant!, _ => new StrongCounter());
        if (Interlocked.Increment(ref counter.Value) > max)
        {
            Interlocked.Decrement(ref counter.Value);
            http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            await ProblemWriter.WriteAsync(http, ProblemTypes.Create(ErrorCodes.TooManyRequests,
                $"Tenant '{tenant}' already has {max} requests in flight (SoulBox:Limits:MaxInFlight); retry after the Retry-After seconds."));
            return;
        }

        var slot = new TenantInFlightSlot(() => Interlocked.Decrement(ref counter.Value));
        http.Features.Set(slot);
        try
        {
            await next(http);
        }
        finally
        {
            slot.Release();
        }
    }

    private sealed class StrongCounter
    {
        public int Value;
    }

    private sealed class TenantInFlightMarker;
}
