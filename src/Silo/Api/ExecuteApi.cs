using Microsoft.AspNetCore.Http.HttpResults;
using SoulBox.Grains;
using SoulBox.Silo.Auth;

namespace SoulBox.Silo.Api;

/// <summary>One-shot runs (Piston/Judge0 model): source in, result out, nothing kept between runs.</summary>
public static class ExecuteApi
{
    public static RouteGroupBuilder MapExecuteApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/execute").WithTags("Execute");
        group.MapPost("/", ExecuteAsync).WithName("Execute")
            .WithSummary("Run a program once in a fresh environment; a timeout or limit is a 200 with its status");
        return group;
    }

    internal static async Task<Ok<ExecuteResult>> ExecuteAsync(ExecuteRequest request, HttpContext http, IGrainFactory grains) =>
        TypedResults.Ok(await grains.ExecuteAsync(request, http.Tenant(), http.RequestAborted));
}
