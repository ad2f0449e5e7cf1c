using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using SoulBox.Silo.Auth;

namespace SoulBox.Silo.Api;

/// <summary>Background processes of a sandbox: started, listed, attached to (Server-Sent Events), given stdin and
/// signals, killed. A process outlives the request that started it; see <see cref="ProcessEventStream"/> for the
/// events.</summary>
public static class ProcessApi
{
    /// <summary>Stdin is forwarded in pieces of this size, in order: a large body never sits whole in the gateway.</summary>
    private const int StdinChunkBytes = 1024 * 1024;

    public static RouteGroupBuilder MapProcessApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/sandboxes/{id}/processes").WithTags("Processes");

        group.MapPost("/", StartAsync).WithName("StartProcess")
            .WithSummary("Start a background process; with Accept: text/event-stream the answer is its event stream (started, output, exit), else 201 with its pid (not attached)")
            .Produces<ProcessStartedView>(StatusCodes.Status201Created, "application/json")
            .Produces(StatusCodes.Status200OK, contentType: RunEventStream.ContentType);
        group.MapGet("/", ListAsync).WithName("ListProcesses")
            .WithSummary("List the sandbox's running background processes");
        group.MapGet("/{pid:int}/events", AttachAsync).WithName("AttachProcess")
            .WithSummary("Attach to a background process: Server-Sent Events started, output from now on, exit; closing detaches")
            .Produces(StatusCodes.Status200OK, contentType: RunEventStream.ContentType);
        group.MapPost("/{pid:int}/stdin", SendStdinAsync).WithName("SendProcessStdin")
            .WithSummary("Write the raw request body to the process's stdin (it must have been started with keepStdinOpen)")
            .Accepts<byte[]>("application/octet-stream");
        group.MapPost("/{pid:int}/stdin/close", CloseStdinAsync).WithName("CloseProcessStdin")
            .WithSummary("Close the process's stdin (it reads end of file)");
        group.MapPost("/{pid:int}/signal", SignalAsync).WithName("SignalProcess")
            .WithSummary("Send a signal (15 SIGTERM, 9 SIGKILL, 2 SIGINT, 1 SIGHUP, ...) to the process's group");
        group.MapDelete("/{pid:int}", KillAsync).WithName("KillProcess")
            .WithSummary("Kill the process's group (SIGKILL)");
        return group;
    }

    /// <summary>Registers what the process endpoints need (stream bounds); idempotent.</summary>
    public static IServiceCollection AddProcessApi(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ProcessStreamOptions>().Bind(configuration.GetSection(ProcessStreamOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ProcessStreamOptions>>(new ProcessStreamOptionsValidator());
        services.AddSingleton<ProcessStreamLimiter>();
        return services;
    }

    internal static async Task<IResult> StartAsync(string id, ProcessStartBody body, HttpContext http, SandboxAccess access, ProcessStreamLimiter limiter)
    {
        var sandbox = await access.GetAsync(id, http.Tenant());
        var request = body.ToRequest();
        if (RunEventStream.IsWanted(http.Request))
        {
            return await ProcessEventStream.OpenAsync(sandbox.StartProcessAsync(request, http.RequestAborted), http.Tenant(), limiter, http.RequestAborted);
        }

        // Not attached: take Started (the pid) and detach; the process runs on.
        await using var events = sandbox.StartProcessAsync(request, http.RequestAborted).GetAsyncEnumerator(http.RequestAborted);
        if (!await events.MoveNextAsync() || events.Current.Kind != ProcessEventKind.Started)
        {
            throw new SoulBoxException(ErrorCodes.Internal, "The process stream did not begin with Started.");
        }

        var pid = events.Current.Pid;
        return TypedResults.Created($"/v1/sandboxes/{id}/processes/{pid}/events", new ProcessStartedView(pid));
    }

    internal static async Task<Ok<ProcessInfo[]>> ListAsync(string id, HttpContext http, SandboxAccess access)
    {
        var sandbox = await access.GetAsync(id, http.Tenant());
        return TypedResults.Ok(await sandbox.ListProcessesAsync(http.RequestAborted));
    }

    internal static async Task<IResult> AttachAsync(string id, int pid, HttpContext http, SandboxAccess access, ProcessStreamLimiter limiter)
    {
        var sandbox = await access.GetAsync(id, http.Tenant());
        return await ProcessEventStream.OpenAsync(sandbox.AttachProcessAsync(pid, http.RequestAborted), http.Tenant(), limiter, http.RequestAborted);
    }

    internal static async Task<NoContent> SendStdinAsync(string id, int pid, HttpContext http, SandboxAccess access)
    {
        var sandbox = await access.GetAsync(id, http.Tenant());
        var buffer = new byte[StdinChunkBytes];
        for (var chunk = 0; ; chunk++)
        {
            var read = await http.Request.Body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, http.RequestAborted);
            if (read > 0 || chunk == 0)
            {
                // An empty body still asks the grain: an unknown pid or a closed stdin is an error either way.
                await sandbox.SendProcessInputAsync(pid, buffer[..read], http.RequestAborted);
            }

            if (read < buffer.Length)
            {
                break;
            }
        }

        return TypedResults.NoContent();
    }

    internal static async Task<NoContent> CloseStdinAsync(string id, int pid, HttpContext http, SandboxAccess access)
    {
        var sandbox = await access.GetAsync(id, http.Tenant());
        await sandbox.CloseProcessInputAsync(pid, http.RequestAborted);
        return TypedResults.NoContent();
    }

    internal static async Task<NoContent> SignalAsync(string id, int pid, SignalBody body, HttpContext http, SandboxAccess access)
    {
        var sandbox = await access.GetAsync(id, http.Tenant());
        await sandbox.SignalProcessAsync(pid, body.Signal ?? throw new SandboxValidationException("signal", "Give the signal number, e.g. {\"signal\": 15}."), http.RequestAborted);
        return TypedResults.NoContent();
    }

    internal static async Task<NoContent> KillAsync(string id, int pid, HttpContext http, SandboxAccess access)
    {
        var sandbox = await access.GetAsync(id, http.Tenant());
        await sandbox.SignalProcessAsync(pid, 9, http.RequestAborted);
        return TypedResults.NoContent();
    }

    private sealed class ProcessStreamOptionsValidator : IValidateOptions<ProcessStreamOptions>
    {
        public ValidateOptionsResult Validate(string? name, ProcessStreamOptions options) =>
            options.Validate().ToList() is { Count: > 0 } errors ? ValidateOptionsResult.Fail(errors) : ValidateOptionsResult.Success;
    }
}
