using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using SoulBox.Grains;
using SoulBox.Grains.Hosting;

namespace SoulBox.Silo.E2b.CodeInterpreter;

/// <summary>E2B's code interpreter (port 49999) served by the gateway: <c>POST /execute</c> streams NDJSON (stdout,
/// stderr, results, error, execution count, end) from the sandbox's kernel; <c>/contexts</c> creates, lists, restarts
/// and deletes kernels. Every call is a grain call on the sandbox, as the REST API makes.</summary>
internal static class CodeInterpreterApi
{
    /// <summary>How long /execute waits for a cell's first event before it sends its headers anyway.</summary>
    internal const int HeadersWithoutOutputMs = 250;

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>MIME type → the field E2B's Result reads.</summary>
    private static readonly Dictionary<string, string> Fields = new(StringComparer.Ordinal)
    {
        ["text/plain"] = "text",
        ["text/html"] = "html",
        ["text/markdown"] = "markdown",
        ["image/svg+xml"] = "svg",
        ["image/png"] = "png",
        ["image/jpeg"] = "jpeg",
        ["application/pdf"] = "pdf",
        ["text/latex"] = "latex",
        ["application/json"] = "json",
        ["application/javascript"] = "javascript",
    };

    public static RouteGroupBuilder MapCodeInterpreter(this RouteGroupBuilder group)
    {
        group.MapPost("/execute", ExecuteAsync);
        group.MapPost("/contexts", CreateContextAsync);
        group.MapGet("/contexts", ListContextsAsync);
        group.MapDelete("/contexts/{contextId}", DeleteContextAsync);
        group.MapPost("/contexts/{contextId}/restart", RestartContextAsync);
        return group;
    }

    internal sealed record ExecuteBody(
        [property: JsonPropertyName("code")] string? Code,
        [property: JsonPropertyName("context_id")] string? ContextId,
        [property: JsonPropertyName("language")] string? Language,
        [property: JsonPropertyName("env_vars")] Dictionary<string, string>? EnvVars);

    internal sealed record ContextBody(
        [property: JsonPropertyName("language")] string? Language,
        [property: JsonPropertyName("cwd")] string? Cwd);

    internal sealed record ContextAnswer(
        [property: JsonPropertyName("id")] string Id,
        [property: JsonPropertyName("language")] string Language,
        [property: JsonPropertyName("cwd")] string Cwd);

    internal static async Task ExecuteAsync(
        string sandboxId, ExecuteBody body, HttpContext http, IGrainFactory grains, E2bSandboxDirectory directory,
        IOptions<E2bOptions> options, IOptions<SandboxOptions> sandboxOptions)
    {
        var grain = grains.GetGrain<ISandboxGrain>(sandboxId);
        var request = new CodeRunRequest
        {
            Code = body.Code ?? "",
            Language = body.ContextId is null ? Language(body.Language) : null,
            ContextId = body.ContextId,
            Env = body.EnvVars,
            TimeoutMs = Math.Min(options.Value.ExecuteTimeoutMs, sandboxOptions.Value.MaxRunTimeoutMs),
        };

        await using var events = grain.RunCodeStreamAsync(request, http.RequestAborted).GetAsyncEnumerator(http.RequestAborted);
        // A failure to start (unknown context, ended sandbox, bad input) comes at once and gets its own status. A cell
        // that is merely quiet must not hold the headers back: the SDK allows them only requestTimeoutMs (60 s), so
        // a silent minute of work would fail there although its timeoutMs allows more.
        var first = events.MoveNextAsync().AsTask();
        if (!first.IsCompleted)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
            await Task.WhenAny(first, Task.Delay(HeadersWithoutOutputMs, wait.Token));
            await wait.CancelAsync();
        }

        if (first.IsCompleted)
        {
            try
            {
                await first;
            }
            catch (Exception e) when (Status(e) is { } status)
            {
                await FailAsync(http, status, e.Message);
                return;
            }
        }

        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "application/x-ndjson";
        await http.Response.StartAsync(http.RequestAborted);
        if (!first.IsCompleted)
        {
            // StartAsync only fixes the headers; Kestrel would send them with the first write.
            await http.Response.Body.FlushAsync(http.RequestAborted);
        }

        var streamed = 0;
        var writer = new NdjsonWriter(http.Response);
        try
        {
            var more = await first;
            while (more)
            {
                var item = events.Current;
                if (item.CodeResult is { } result)
                {
                    await WriteEndAsync(writer, result, streamed, directory, sandboxId, body.ContextId ?? request.Language ?? "default");
                    return;
                }

                if (item.Result is { } rich)
                {
                    streamed++;
                    await writer.WriteAsync(ResultLine(rich));
                }
                else if (item.Text.Length > 0)
                {
                    await writer.WriteAsync(new JsonObject { ["type"] = item.Kind == OutputKind.Stdout ? "stdout" : "stderr", ["text"] = item.Text, ["timestamp"] = DateTimeOffset.UtcNow.ToString("O") });
                }

                more = await events.MoveNextAsync();
            }
        }
        catch (Exception e) when (Status(e) is not null && !http.RequestAborted.IsCancellationRequested)
        {
            // Headers are gone: say it in the stream, as the kernel would, and end it properly.
            await writer.WriteAsync(new JsonObject { ["type"] = "error", ["name"] = e.GetType().Name.Replace("Exception", "Error", StringComparison.Ordinal), ["value"] = e.Message, ["traceback"] = "" });
            await writer.WriteAsync(new JsonObject { ["type"] = "end_of_execution" });
        }
    }

    private static async Task WriteEndAsync(NdjsonWriter writer, CodeRunResult result, int streamed, E2bSandboxDirectory directory, string sandboxId, string context)
    {
        var hasMain = false;
        foreach (var rich in result.Results.Skip(streamed))
        {
            hasMain |= rich.IsMainResult;
            await writer.WriteAsync(ResultLine(rich));
        }

        if (!hasMain && result.Value is { } value && !result.Results.Any(r => r.IsMainResult))
        {
            await writer.WriteAsync(new JsonObject { ["type"] = "result", ["text"] = value, ["is_main_result"] = true });
        }

        if (result.Error is { } error)
        {
            await writer.WriteAsync(new JsonObject { ["type"] = "error", ["name"] = error.Name, ["value"] = error.Value, ["traceback"] = error.Traceback });
        }
        else if (result.Status is not ExecutionStatus.Ok)
        {
            var (name, text) = result.Status switch
            {
                ExecutionStatus.Timeout => ("TimeoutError", $"Execution timed out after {result.WallTimeMs:F0} ms; the context was restarted."),
                ExecutionStatus.MemoryLimit => ("MemoryError", "The sandbox ran out of memory; the context was restarted."),
                ExecutionStatus.OutputLimit => ("OutputLimitError", "Output passed the sandbox's output cap and was cut."),
                ExecutionStatus.Cancelled => ("CancelledError", "The execution was cancelled."),
                _ => ("RuntimeError", $"The kernel ended with exit code {result.ExitCode}."),
            };
            await writer.WriteAsync(new JsonObject { ["type"] = "error", ["name"] = name, ["value"] = text, ["traceback"] = "" });
        }

        await writer.WriteAsync(new JsonObject { ["type"] = "number_of_executions", ["execution_count"] = directory.CountExecution(sandboxId, context) });
        await writer.WriteAsync(new JsonObject { ["type"] = "end_of_execution" });
    }

    private static JsonObject ResultLine(RichResult rich)
    {
        var line = new JsonObject { ["type"] = "result" };
        foreach (var (mime, content) in rich.Data)
        {
            var field = Fields.GetValueOrDefault(mime, mime);
            line[field] = field == "json" ? ParseJson(content) : content;
        }

        line["is_main_result"] = rich.IsMainResult;
        return line;
    }

    private static JsonNode? ParseJson(string content)
    {
        try
        {
            return JsonNode.Parse(content);
        }
        catch (JsonException)
        {
            return content;
        }
    }

    internal static async Task<IResult> CreateContextAsync(string sandboxId, ContextBody? body, IGrainFactory grains)
    {
        try
        {
            var created = await grains.GetGrain<ISandboxGrain>(sandboxId).CreateContextAsync(Language(body?.Language) ?? Languages.Python, body?.Cwd);
            return TypedResults.Json(new ContextAnswer(created.Id, E2bLanguage(created.Language), created.Cwd));
        }
        catch (Exception e) when (Status(e) is { } status)
        {
            return TypedResults.Text(e.Message, statusCode: status);
        }
    }

    internal static async Task<IResult> ListContextsAsync(string sandboxId, IGrainFactory grains)
    {
        try
        {
            var contexts = await grains.GetGrain<ISandboxGrain>(sandboxId).ListContextsAsync();
            return TypedResults.Json(contexts.Select(c => new ContextAnswer(c.Id, E2bLanguage(c.Language), c.Cwd)).ToArray());
        }
        catch (Exception e) when (Status(e) is { } status)
        {
            return TypedResults.Text(e.Message, statusCode: status);
        }
    }

    internal static async Task<IResult> DeleteContextAsync(string sandboxId, string contextId, IGrainFactory grains, E2bSandboxDirectory directory)
    {
        try
        {
            await grains.GetGrain<ISandboxGrain>(sandboxId).DeleteContextAsync(contextId);
            directory.ForgetExecutions(sandboxId, contextId);
            return TypedResults.NoContent();
        }
        catch (Exception e) when (Status(e) is { } status)
        {
            return TypedResults.Text(e.Message, statusCode: status);
        }
    }

    internal static async Task<IResult> RestartContextAsync(string sandboxId, string contextId, IGrainFactory grains, E2bSandboxDirectory directory)
    {
        try
        {
            await grains.GetGrain<ISandboxGrain>(sandboxId).RestartContextAsync(contextId);
            directory.ForgetExecutions(sandboxId, contextId);
            return TypedResults.NoContent();
        }
        catch (Exception e) when (Status(e) is { } status)
        {
            return TypedResults.Text(e.Message, statusCode: status);
        }
    }

    /// <summary>E2B's language names for SoulBox's kernels (null: the template's default).</summary>
    private static string? Language(string? language) => language?.Trim().ToLowerInvariant() switch
    {
        null or "" => null,
        "python" or "python3" or "py" => Languages.Python,
        "js" or "javascript" or "node" or "nodejs" => Languages.JavaScript,
        var other => throw new SandboxValidationException("language", $"The code interpreter runs python and javascript contexts, not '{other}'."),
    };

    private static string E2bLanguage(string language) => language == Languages.JavaScript ? "js" : language;

    /// <summary>The status E2B's code interpreter answers for a failure before the stream starts: 404 for an unknown
    /// context, 502 for a sandbox that is gone (the SDK reads it as "sandbox timed out"), 400 for bad input.</summary>
    private static int? Status(Exception e) => e switch
    {
        SoulBoxException { Code: ErrorCodes.ContextNotFound or ErrorCodes.SandboxNotFound } => StatusCodes.Status404NotFound,
        SandboxKilledException or SandboxExpiredException or SandboxLostException => StatusCodes.Status502BadGateway,
        SandboxValidationException or RequestTooLargeException => StatusCodes.Status400BadRequest,
        RetryLaterException or SoulBoxException { Code: ErrorCodes.TooManyRequests } => StatusCodes.Status429TooManyRequests,
        SoulBoxException => StatusCodes.Status500InternalServerError,
        _ => null,
    };

    private static async Task FailAsync(HttpContext http, int status, string message)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "text/plain; charset=utf-8";
        await http.Response.WriteAsync(message, http.RequestAborted);
    }
}
