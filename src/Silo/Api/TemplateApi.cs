using Microsoft.AspNetCore.Http.HttpResults;
using SoulBox.Grains;

namespace SoulBox.Silo.Api;

/// <summary>Runtime images present on the cluster's worker nodes.</summary>
public static class TemplateApi
{
    public static RouteGroupBuilder MapTemplateApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/templates").WithTags("Templates");
        group.MapGet("/", ListAsync).WithName("ListTemplates")
            .WithSummary("Templates (runtime images) present on at least one worker: name, language, version");
        return group;
    }

    internal static async Task<Ok<TemplateInfo[]>> ListAsync(IGrainFactory grains) =>
        TypedResults.Ok(await grains.GetGrain<ISandboxFactoryGrain>(0).GetTemplatesAsync());
}
