using System.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace SoulBox.Silo.Problems;

/// <summary>Writes problem details whatever the caller's Accept header says (an SSE request that fails before its
/// stream begins still gets application/problem+json, not an empty 500).</summary>
internal static class ProblemWriter
{
    public static async ValueTask<bool> WriteAsync(HttpContext http, ProblemDetails problem, Exception? exception = null)
    {
        var service = http.RequestServices.GetRequiredService<IProblemDetailsService>();
        if (await service.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem, Exception = exception }))
        {
            return true;
        }

        Customize(problem, http);
        await http.Response.WriteAsJsonAsync(problem, options: null, contentType: "application/problem+json");
        return true;
    }

    /// <summary>What every problem carries: a stable type and code, the instance, the trace id, and for the Piston
    /// and E2B APIs a top-level <c>message</c>.</summary>
    public static void Customize(ProblemDetails problem, HttpContext http)
    {
        if (!problem.Extensions.ContainsKey("code"))
        {
            var code = ProblemTypes.CodeOfStatus(problem.Status ?? http.Response.StatusCode);
            problem.Type = ProblemTypes.TypeOf(code);
            problem.Extensions["code"] = code;
        }

        RejectedRequests.Count(http, problem.Status ?? http.Response.StatusCode, problem.Extensions["code"] as string ?? "");
        problem.Instance ??= http.Request.Path;
        problem.Extensions["traceId"] = Activity.Current?.TraceId.ToString() ?? http.TraceIdentifier;
        // Piston's clients and E2B's SDK (its control plane: 401, 429 from the limits) read a top-level message.
        if (http.Request.Path.StartsWithSegments("/api/v2") || http.Request.Path.StartsWithSegments("/sandboxes") || http.Request.Path.StartsWithSegments("/v2/sandboxes"))
        {
            problem.Extensions["message"] = problem.Detail ?? problem.Title;
        }
    }
}
