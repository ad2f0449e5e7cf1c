using SoulBox.Silo.Auth;
using SoulBox.Silo.Problems;

namespace SoulBox.Silo.E2b;

/// <summary>Turns failures of the E2B control plane into E2B's error body <c>{"code": status, "message": ...}</c>
/// with the status SoulBox's own API would use (the SDK tells "not found" by <c>code == 404</c>, retries 429 after
/// Retry-After, and maps 401 and 503).</summary>
internal static class E2bErrors
{
    public static async ValueTask<object?> FilterAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (Exception e) when (e is SoulBoxException or TenantLimitException or BadHttpRequestException or System.Text.Json.JsonException)
        {
            var problem = SoulBoxExceptionHandler.ToProblem(e);
            // E2B has no "ended" state: a killed, expired or lost sandbox does not exist any more (kill() → false).
            var status = e is SandboxKilledException or SandboxExpiredException or SandboxLostException
                ? StatusCodes.Status404NotFound
                : problem.Status ?? StatusCodes.Status500InternalServerError;
            if (e is TenantLimitException or RetryLaterException)
            {
                context.HttpContext.Response.Headers.RetryAfter = e is RetryLaterException retry
                    ? Math.Max(1, retry.RetryAfterSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture)
                    : "5";
            }

            return TypedResults.Json(new E2bError(status, problem.Detail ?? problem.Title ?? "Request failed."), statusCode: status);
        }
    }
}
