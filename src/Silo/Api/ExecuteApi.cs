using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;
using SoulBox.Grains;
using SoulBox.Silo.Auth;
using SoulBox.Silo.Hosting;

namespace SoulBox.Silo.Api;

/// <summary>One-shot runs (Piston/Judge0 model): source in, result out, nothing kept between runs. With
/// <c>cases</c> the same endpoint judges one program against many test cases (a batch).</summary>
public static class ExecuteApi
{
    public static RouteGroupBuilder MapExecuteApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/execute").WithTags("Execute");
        group.MapPost("/", ExecuteAsync).WithName("Execute")
            .WithSummary("Run a program once in a fresh environment, or, with cases, against many test cases with a verdict each; a timeout or limit is a 200 with its status")
            .WithDescription("A batch whose inputs are too large for one JSON body is sent as multipart/form-data: a first part named 'request' with this JSON, then one part per input file, which cases name in stdinFile / expectedOutputFile.");
        // The same route for a multipart body: routing picks the endpoint by the request's Content-Type.
        group.MapPost("/", (HttpContext http, IGrainFactory grains, IOptions<JsonOptions> json, IOptions<GatewayHttpOptions> options) =>
                MultipartBatch.ExecuteAsync(http, grains, json, options))
            .WithName("ExecuteBatchWithFiles")
            .WithMetadata(new AcceptsMetadata([MultipartBatch.ContentType]))
            .ExcludeFromDescription();
        return group;
    }

    internal static async Task<Results<Ok<ExecuteResult>, Ok<ExecuteBatchResult>>> ExecuteAsync(ExecuteBody body, HttpContext http, IGrainFactory grains) =>
        body.Cases is not null
            ? TypedResults.Ok(await grains.ExecuteBatchAsync(body.ToBatch(), http.Tenant(), http.RequestAborted))
            : TypedResults.Ok(await grains.ExecuteAsync(body.ToRequest(), http.Tenant(), http.RequestAborted));
}
