using System.Buffers.Text;
using System.Text;
using Microsoft.Extensions.Options;
using SoulBox.Grains;
using SoulBox.Silo.Api;
using SoulBox.Silo.Auth;
using SoulBox.Silo.Hosting;

namespace SoulBox.Silo.E2b;

/// <summary>E2B's control plane (create, connect, list, get, set timeout, kill, pause) with E2B's shapes and status
/// codes, on the tenants of SoulBox's API keys (the SDK's X-API-KEY is one). Errors are E2B's
/// <c>{"code": status, "message": ...}</c>.</summary>
public static class E2bApi
{
    /// <summary>The lowest envd version whose features SoulBox really implements (see README, "E2B drop-in").</summary>
    public const string EnvdVersion = Envd.EnvdService.Version;
    public const string ClientId = "soulbox";

    /// <summary>Environment every E2B sandbox gets, as in E2B's own.</summary>
    private const string SandboxEnv = "E2B_SANDBOX";
    private const string SandboxIdEnv = "E2B_SANDBOX_ID";
    private const int MaxPageSize = 100;

    public static IEndpointRouteBuilder MapE2bApi(this IEndpointRouteBuilder routes)
    {
        foreach (var prefix in new[] { "", "/v2" })
        {
            var group = routes.MapGroup(prefix + "/sandboxes").WithTags("E2B").RequireTenant().AddEndpointFilter(E2bErrors.FilterAsync);
            group.MapPost("/", CreateAsync).WithName($"E2bCreate{prefix.TrimStart('/')}")
                .WithSummary("E2B: create a sandbox (templateID base or code-interpreter-v1, or a SoulBox template)");
            group.MapPost("/{id}/connect", ConnectAsync).WithName($"E2bConnect{prefix.TrimStart('/')}")
                .WithSummary("E2B: connect to a running sandbox (optionally setting its timeout)");
            group.MapGet("/", ListAsync).WithName($"E2bList{prefix.TrimStart('/')}")
                .WithSummary("E2B: list the tenant's sandboxes (limit, nextToken, metadata, state)");
        }

        var sandboxes = routes.MapGroup("/sandboxes").WithTags("E2B").RequireTenant().AddEndpointFilter(E2bErrors.FilterAsync);
        sandboxes.MapGet("/{id}", GetAsync).WithName("E2bGet").WithSummary("E2B: a sandbox's description");
        sandboxes.MapPost("/{id}/timeout", SetTimeoutAsync).WithName("E2bSetTimeout").WithSummary("E2B: set the remaining lifetime");
        sandboxes.MapDelete("/{id}", KillAsync).WithName("E2bKill").WithSummary("E2B: kill a sandbox");
        sandboxes.MapPost("/{id}/pause", PauseAsync).WithName("E2bPause").WithSummary("E2B: pause (not supported; see README)");
        sandboxes.MapPost("/{id}/resume", PauseAsync).WithName("E2bResume").WithSummary("E2B: resume (not supported; see README)");
        return routes;
    }

    internal static async Task<IResult> CreateAsync(
        E2bNewSandbox? body, HttpContext http, IGrainFactory grains, SandboxAccess access, TenantSandboxQuota quota,
        E2bSandboxDirectory directory, IOptions<E2bOptions> options)
    {
        var tenant = http.Tenant();
        var env = new Dictionary<string, string>(body?.EnvVars ?? [], StringComparer.Ordinal) { [SandboxEnv] = "true" };
        using var reservation = await quota.ReserveAsync(tenant, http.RequestAborted);
        var info = await grains.GetGrain<ISandboxFactoryGrain>(0).CreateSandboxAsync(new SandboxCreateOptions
        {
            Template = E2bTemplates.ToSoulBox(body?.TemplateId),
            TimeoutSeconds = body?.Timeout ?? options.Value.DefaultTimeoutSeconds,
            Env = env,
            Metadata = body?.Metadata,
            Tenant = tenant,
            SandboxIdEnv = [SandboxIdEnv],
        }, http.RequestAborted);
        access.Remember(info);
        directory.Remember(info);
        return TypedResults.Json(Answer(info, body?.TemplateId, options.Value), statusCode: StatusCodes.Status201Created);
    }

    internal static async Task<IResult> ConnectAsync(
        string id, E2bTimeoutBody? body, HttpContext http, SandboxAccess access, E2bSandboxDirectory directory, IOptions<E2bOptions> options)
    {
        var sandbox = await access.GetAsync(id, http.Tenant());
        var info = body?.Timeout is { } seconds ? await ExtendAsync(sandbox, seconds) : await sandbox.GetInfoAsync();
        directory.Remember(info);
        return TypedResults.Json(Answer(info, null, options.Value), statusCode: StatusCodes.Status200OK);
    }

    internal static async Task<IResult> ListAsync(HttpContext http, IGrainFactory grains, string? metadata, string? state, int? limit, string? nextToken)
    {
        var tenant = http.Tenant();
        var filter = ParseMetadata(metadata);
        var size = Math.Clamp(limit ?? MaxPageSize, 1, MaxPageSize);
        var factory = grains.GetGrain<ISandboxFactoryGrain>(0);
        if (state is { Length: > 0 } && !state.Split(',').Any(s => s.Trim() == "running"))
        {
            // SoulBox does not pause sandboxes, so only "running" ones exist.
            return TypedResults.Json(Array.Empty<E2bListedSandbox>());
        }

        var found = tenant == AuthOptions.DefaultTenant
            ? (await factory.ListSandboxesAsync(filter, null)).Where(s => SandboxAccess.OwnerOf(s) == tenant)
            : await factory.ListSandboxesAsync(filter, tenant);
        var after = nextToken is { Length: > 0 } ? DecodeToken(nextToken) : null;
        var ordered = found.OrderBy(s => s.CreatedAt).ThenBy(s => s.Id, StringComparer.Ordinal)
            .Where(s => after is null || Compare(s, after.Value) > 0).Take(size + 1).ToList();
        if (ordered.Count > size)
        {
            ordered.RemoveAt(size);
            http.Response.Headers["x-next-token"] = EncodeToken(ordered[^1]);
        }

        return TypedResults.Json(ordered.Select(E2bListedSandbox.From).ToArray());
    }

    internal static async Task<IResult> GetAsync(string id, HttpContext http, SandboxAccess access)
    {
        var sandbox = await access.GetAsync(id, http.Tenant());
        return TypedResults.Json(E2bListedSandbox.From(await sandbox.GetInfoAsync()));
    }

    internal static async Task<IResult> SetTimeoutAsync(string id, E2bTimeoutBody body, HttpContext http, SandboxAccess access)
    {
        var sandbox = await access.GetAsync(id, http.Tenant());
        await ExtendAsync(sandbox, body.Timeout ?? throw new SandboxValidationException("timeout", "timeout (seconds) is required."));
        return TypedResults.NoContent();
    }

    internal static async Task<IResult> KillAsync(string id, HttpContext http, SandboxAccess access, E2bSandboxDirectory directory)
    {
        var sandbox = await access.GetAsync(id, http.Tenant());
        await sandbox.KillAsync();
        directory.Forget(id);
        return TypedResults.NoContent();
    }

    /// <summary>Pause would have to keep the container's whole memory on its node with its lifetime clock stopped:
    /// unlike E2B's snapshot to storage it frees nothing, and a tenant could park memory on a node indefinitely. So it
    /// is refused, plainly, with the sandbox left running.</summary>
    internal static async Task<IResult> PauseAsync(string id, HttpContext http, SandboxAccess access)
    {
        await access.GetAsync(id, http.Tenant());
        return TypedResults.Json(new E2bError(StatusCodes.Status501NotImplemented,
            "SoulBox does not pause sandboxes: a paused container keeps all its memory on its node (nothing is snapshotted to storage), so pausing would free nothing. The sandbox keeps running; extend it with setTimeout, or kill it."),
            statusCode: StatusCodes.Status501NotImplemented);
    }

    private static async Task<SandboxInfo> ExtendAsync(ISandboxGrain sandbox, int seconds)
    {
        if (seconds < 1)
        {
            throw new SandboxValidationException("timeout", "timeout must be at least 1 second.");
        }

        return await sandbox.SetTimeoutAsync(seconds);
    }

    private static E2bSandbox Answer(SandboxInfo info, string? askedTemplate, E2bOptions options) => new()
    {
        SandboxId = info.Id,
        TemplateId = askedTemplate is { Length: > 0 } ? askedTemplate : E2bTemplates.ToE2b(info.Template),
        EnvdAccessToken = info.AccessToken,
        TrafficAccessToken = E2bSandboxDirectory.TrafficTokenOf(info.AccessToken),
        Domain = options.Domain,
    };

    /// <summary>E2B sends the metadata filter as one query value, itself URL-encoded pairs (<c>k1=v1&amp;k2=v2</c>).</summary>
    private static Dictionary<string, string>? ParseMetadata(string? metadata)
    {
        if (metadata is not { Length: > 0 })
        {
            return null;
        }

        var pairs = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(metadata);
        return pairs.Count == 0 ? null : pairs.ToDictionary(p => Uri.UnescapeDataString(p.Key), p => Uri.UnescapeDataString(p.Value.ToString()), StringComparer.Ordinal);
    }

    private static string EncodeToken(SandboxInfo last) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{last.CreatedAt.UtcTicks}|{last.Id}"));

    private static (long Ticks, string Id)? DecodeToken(string token)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
            var bar = text.IndexOf('|');
            return bar > 0 && long.TryParse(text.AsSpan(0, bar), out var ticks) ? (ticks, text[(bar + 1)..]) : throw new FormatException();
        }
        catch (FormatException)
        {
            throw new SandboxValidationException("nextToken", "nextToken is not one this gateway gave out.");
        }
    }

    private static int Compare(SandboxInfo sandbox, (long Ticks, string Id) after)
    {
        var byTime = sandbox.CreatedAt.UtcTicks.CompareTo(after.Ticks);
        return byTime != 0 ? byTime : string.CompareOrdinal(sandbox.Id, after.Id);
    }
}
