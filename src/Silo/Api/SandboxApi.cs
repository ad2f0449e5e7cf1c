using Microsoft.AspNetCore.Http.HttpResults;
using SoulBox.Grains;
using SoulBox.Silo.Auth;

namespace SoulBox.Silo.Api;

/// <summary>Sandboxes of the caller's tenant: create, list (by metadata), read, extend, kill.</summary>
public static class SandboxApi
{
    /// <summary>Query parameters named <c>metadata.&lt;key&gt;</c> filter the listing by metadata.</summary>
    public const string MetadataQueryPrefix = "metadata.";

    public static RouteGroupBuilder MapSandboxApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/sandboxes").WithTags("Sandboxes");

        group.MapPost("/", CreateAsync).WithName("CreateSandbox")
            .WithSummary("Create a sandbox from a template");
        group.MapGet("/", ListAsync).WithName("ListSandboxes")
            .WithSummary("List the tenant's live sandboxes; filter with metadata.<key>=<value> query parameters");
        group.MapGet("/{id}", GetAsync).WithName("GetSandbox")
            .WithSummary("Read a sandbox");
        group.MapDelete("/{id}", KillAsync).WithName("KillSandbox")
            .WithSummary("Kill a sandbox and remove its container");
        group.MapPost("/{id}/timeout", SetTimeoutAsync).WithName("SetSandboxTimeout")
            .WithSummary("Set the sandbox's remaining lifetime (seconds from now)");
        return group;
    }

    internal static async Task<Created<SandboxView>> CreateAsync(
        CreateSandboxBody? body, HttpContext http, IGrainFactory grains, SandboxAccess access, TenantSandboxQuota quota)
    {
        var tenant = http.Tenant();
        using var reservation = await quota.ReserveAsync(tenant, http.RequestAborted);
        var info = await grains.GetGrain<ISandboxFactoryGrain>(0).CreateSandboxAsync(new SandboxCreateOptions
        {
            Template = body?.Template ?? Templates.Python,
            TimeoutSeconds = body?.TimeoutSeconds,
            Env = body?.Env,
            Metadata = body?.Metadata,
            Cpu = body?.Cpu,
            MemoryMb = body?.MemoryMb,
            Tenant = tenant,
        }, http.RequestAborted);
        access.Remember(info);
        return TypedResults.Created($"/v1/sandboxes/{info.Id}", SandboxView.From(info));
    }

    internal static async Task<Ok<SandboxView[]>> ListAsync(HttpContext http, IGrainFactory grains)
    {
        var tenant = http.Tenant();
        Dictionary<string, string>? metadata = null;
        foreach (var (name, values) in http.Request.Query)
        {
            if (name.StartsWith(MetadataQueryPrefix, StringComparison.Ordinal) && name.Length > MetadataQueryPrefix.Length)
            {
                (metadata ??= [])[name[MetadataQueryPrefix.Length..]] = values.ToString();
            }
        }

        // Sandboxes made by the .NET client carry no tenant: they are the default tenant's.
        var factory = grains.GetGrain<ISandboxFactoryGrain>(0);
        var found = tenant == AuthOptions.DefaultTenant
            ? (await factory.ListSandboxesAsync(metadata, null)).Where(s => SandboxAccess.OwnerOf(s) == tenant)
            : await factory.ListSandboxesAsync(metadata, tenant);
        return TypedResults.Ok(found.Select(SandboxView.From).ToArray());
    }

    internal static async Task<Ok<SandboxView>> GetAsync(string id, HttpContext http, SandboxAccess access)
    {
        var sandbox = await access.GetAsync(id, http.Tenant());
        return TypedResults.Ok(SandboxView.From(await sandbox.GetInfoAsync()));
    }

    internal static async Task<NoContent> KillAsync(string id, HttpContext http, SandboxAccess access)
    {
        var sandbox = await access.GetAsync(id, http.Tenant());
        await sandbox.KillAsync();
        return TypedResults.NoContent();
    }

    internal static async Task<Ok<SandboxView>> SetTimeoutAsync(string id, SetTimeoutBody body, HttpContext http, SandboxAccess access)
    {
        var sandbox = await access.GetAsync(id, http.Tenant());
        return TypedResults.Ok(SandboxView.From(await sandbox.SetTimeoutAsync(body.TimeoutSeconds)));
    }
}
