using System.Security.Claims;
using SoulBox.Grains.Telemetry;
using SoulBox.Silo.Auth;
using SoulBox.Silo.Hosting;

namespace SoulBox.Silo.Problems;

/// <summary>Counts the gateway's 429 and 503 answers (soulbox.requests.rejected by node, tenant, status and code).
/// Every one of them is a problem written through <see cref="ProblemWriter"/>, whatever refused it (the anonymous and
/// per-tenant rate limits, the in-flight limit, the sandbox quota, a node's one-shot share or slots, no capacity,
/// an unavailable silo), so that is the one place that counts.</summary>
internal static class RejectedRequests
{
    /// <summary>The tenant tag of a caller without a valid key.</summary>
    public const string Anonymous = "anonymous";

    public static void Count(HttpContext http, int status, string code)
    {
        if (status is not (StatusCodes.Status429TooManyRequests or StatusCodes.Status503ServiceUnavailable))
        {
            return;
        }

        var metrics = http.RequestServices.GetService<SoulBoxMetrics>();
        var node = http.RequestServices.GetService<SoulBoxNodeOptions>();
        if (metrics is null || node is null)
        {
            return;
        }

        var tenant = http.User.FindFirstValue(ApiKeyAuthenticationHandler.TenantClaim) ?? Anonymous;
        metrics.RequestRejected(node.ResolvedNodeName, tenant, status, code);
    }
}
