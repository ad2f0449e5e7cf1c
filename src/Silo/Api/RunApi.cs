using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using SoulBox.Silo.Auth;

namespace SoulBox.Silo.Api;

/// <summary>Code runs, code contexts and commands in a sandbox. Runs answer JSON, or Server-Sent Events when the
/// request sends <c>Accept: text/event-stream</c>. A run that times out or hits a limit is 200 with its status.</summary>
public static class RunApi
{
    public static RouteGroupBuilder MapRunApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/sandboxes/{id}").WithTags("Runs");

        group.MapPost("/code", RunCodeAsync).WithName("RunCode")
            .WithSummary("Run code in the sandbox (state is kept between runs of one context)")
            .Produces<CodeRunResult>(contentType: "application/json")
            .Produces(StatusCodes.Status200OK, contentType: RunEventStream.ContentType);
        group.MapPost("/contexts", CreateContextAsync).WithName("CreateContext")
            .WithSummary("Start a separate stateful code context (Python or JavaScript), optionally in a working directory");
        group.MapGet("/contexts", ListContextsAsync).WithName("ListContexts")
            .WithSummary("List the sandbox's code contexts (default contexts once they have run code)");
        group.MapPost("/contexts/{contextId}/restart", RestartContextAsync).WithName("RestartContext")
            .WithSummary("Restart a code context's kernel under the same id; its state is dropped");
        group.MapDelete("/contexts/{contextId}", DeleteContextAsync).WithName("DeleteContext")
            .WithSummary("End a code context");
        group.MapPost("/commands", RunCommandAsync).WithName("RunCommand")
            .WithSummary("Run a process (shell string or argv) in the sandbox")
            .Produces<CommandResult>(contentType: "application/json")
            .Produces(StatusCodes.Status200OK, contentType: RunEventStream.ContentType);
        return group;
    }

    internal static async Task<IResult> RunCodeAsync(string id, RunCodeBody body, HttpContext http, SandboxAccess access)
    {
        var sandbox = await access.GetAsync(id, http.Tenant());
        var request = body.ToRequest();
        if (RunEventStream.IsWanted(http.Request))
        {
            return await RunEventStream.StartAsync(sandbox.RunCodeStreamAsync(request, http.RequestAborted), http.RequestAborted);
        }

        var started = Stopwatch.GetTimestamp();
        var result = await sandbox.RunCodeAsync(request, http.RequestAborted);
        ServerTiming(http, started);
        return TypedResults.Ok(result);
    }

    internal static async Task<IResult> RunCommandAsync(string id, RunCommandBody body, HttpContext http, SandboxAccess access)
    {
        var sandbox = await access.GetAsync(id, http.Tenant());
        var request = body.ToRequest();
        if (RunEventStream.IsWanted(http.Request))
        {
            return await RunEventStream.StartAsync(sandbox.RunCommandStreamAsync(request, http.RequestAborted), http.RequestAborted);
        }

        var started = Stopwatch.GetTimestamp();
        var result = await sandbox.RunCommandAsync(request, http.RequestAborted);
        ServerTiming(http, started);
        return TypedResults.Ok(result);
    }

    /// <summary>Server-Timing: how long the grain call took inside the gateway, so a caller can tell the gateway's
    /// own cost (total minus grain) from the run's.</summary>
    private static void ServerTiming(HttpContext http, long started) =>
        http.Response.Headers["Server-Timing"] = string.Create(CultureInfo.InvariantCulture, $"grain;dur={Stopwatch.GetElapsedTime(started).TotalMilliseconds:F3}");

    internal static async Task<Created<ContextView>> CreateContextAsync(string id, CreateContextBody? body, HttpContext http, SandboxAccess access)
    {
        var sandbox = await access.GetAsync(id, http.Tenant());
        // No language: the sandbox's template's default, which the node knows (a registered template's too).
        var language = body?.Language ?? "";
        var context = await sandbox.CreateContextAsync(language, body?.Cwd, http.RequestAborted);
        return TypedResults.Created($"/v1/sandboxes/{id}/contexts/{context.Id}", new ContextView(context.Id, context.Language, context.Cwd));
    }

    internal static async Task<Ok<ContextView[]>> ListContextsAsync(string id, HttpContext http, SandboxAccess access)
    {
        var sandbox = await access.GetAsync(id, http.Tenant());
        var contexts = await sandbox.ListContextsAsync(http.RequestAborted);
        return TypedResults.Ok(contexts.Select(c => new ContextView(c.Id, c.Language, c.Cwd)).ToArray());
    }

    internal static async Task<NoContent> RestartContextAsync(string id, string contextId, HttpContext http, SandboxAccess access)
    {
        var sandbox = await access.GetAsync(id, http.Tenant());
        await sandbox.RestartContextAsync(contextId, http.RequestAborted);
        return TypedResults.NoContent();
    }

    internal static async Task<NoContent> DeleteContextAsync(string id, string contextId, HttpContext http, SandboxAccess access)
    {
        var sandbox = await access.GetAsync(id, http.Tenant());
        await sandbox.DeleteContextAsync(contextId, http.RequestAborted);
        return TypedResults.NoContent();
    }
}
