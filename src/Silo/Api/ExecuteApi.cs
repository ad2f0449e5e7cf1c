using Microsoft.AspNetCore.Http.HttpResults;
using SoulBox.Grains;
using SoulBox.Silo.Auth;

namespace SoulBox.Silo.Api;

/// <summary>One-shot runs (Piston/Judge0 model): source in, result out, nothing kept between runs. With
/// <c>cases</c> the same endpoint judges one program against many test cases (a batch).</summary>
public static class ExecuteApi
{
    public static RouteGroupBuilder MapExecuteApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/execute").WithTags("Execute");
        group.MapPost("/", ExecuteAsync).WithName("Execute")
            .WithSummary("Run a program once in a fresh environment, or, with cases, against many test cases with a verdict each; a timeout or limit is a 200 with its status");
        return group;
    }

    internal static async Task<Results<Ok<ExecuteResult>, Ok<ExecuteBatchResult>>> ExecuteAsync(ExecuteBody body, HttpContext http, IGrainFactory grains) =>
        body.Cases is not null
            ? TypedResults.Ok(await grains.ExecuteBatchAsync(body.ToBatch(), http.Tenant(), http.RequestAborted))
            : TypedResults.Ok(await grains.ExecuteAsync(body.ToRequest(), http.Tenant(), http.RequestAborted));
}
