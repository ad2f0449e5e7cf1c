using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using SoulBox.Silo.Problems;

namespace SoulBox.Silo.Api;

/// <summary>Server-Sent Events of one run: <c>stdout</c>/<c>stderr</c> (<c>{"text": ...}</c>) as the program writes,
/// <c>display</c> (a RichResult <c>{"isMainResult": false, "data": {mime: content}}</c>) for each rich output of a code
/// run as it appears (display(), a matplotlib figure), then <c>result</c> (the CodeRunResult or CommandResult), or <c>error</c> (problem details) when the run fails
/// after the stream began; always <c>end</c> last. Each event is flushed as it is written.</summary>
internal sealed class RunEventStream : IResult, IStatusCodeHttpResult, IContentTypeHttpResult
{
    public const string ContentType = "text/event-stream";

    /// <summary>How long the first event is awaited before the headers go out: an error that comes at once
    /// (unknown language, empty code, sandbox gone) is then a real HTTP error instead of an error event.</summary>
    private static readonly TimeSpan FirstEventWait = TimeSpan.FromMilliseconds(250);

    private const int EventsPerGrainAnswer = 8;

    private readonly IAsyncEnumerator<RunEvent> _events;
    private readonly Task<bool> _first;

    private RunEventStream(IAsyncEnumerator<RunEvent> events, Task<bool> first)
    {
        _events = events;
        _first = first;
    }

    int? IStatusCodeHttpResult.StatusCode => StatusCodes.Status200OK;

    string IContentTypeHttpResult.ContentType => ContentType;

    public static bool IsWanted(HttpRequest request) =>
        request.Headers.Accept.Any(a => a is not null && a.Contains(ContentType, StringComparison.OrdinalIgnoreCase));

    /// <summary>Starts the run; throws here (before any byte is written) when it fails at once.</summary>
    public static async Task<RunEventStream> StartAsync(IAsyncEnumerable<RunEvent> run, CancellationToken cancellationToken)
    {
        if (run is IAsyncEnumerableRequest<RunEvent>)
        {
            // Orleans gathers every event that is ready into one answer (up to 100): a slow reader would have the
            // node hold that many output chunks per stream. A few per answer keep a stream's share near its window.
            run = run.WithBatchSize(EventsPerGrainAnswer);
        }

        var events = run.GetAsyncEnumerator(cancellationToken);
        var first = events.MoveNextAsync().AsTask();
        try
        {
            await Task.WhenAny(first, Task.Delay(FirstEventWait, cancellationToken));
            if (first.IsCompleted)
            {
                await first;
            }
        }
        catch
        {
            await events.DisposeAsync();
            throw;
        }

        return new RunEventStream(events, first);
    }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        var json = httpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        httpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var aborted = httpContext.RequestAborted;
        try
        {
            await response.StartAsync(aborted);
            var has = await _first;
            while (has)
            {
                var item = _events.Current;
                if (item.CodeResult is { } code)
                {
                    using var lease = RetainedResults.Open(httpContext, RetainedResults.SizeOf(code));
                    await WriteAsync(response, "result", JsonSerializer.SerializeToUtf8Bytes(code, json), aborted);
                }
                else if (item.CommandResult is { } command)
                {
                    using var lease = RetainedResults.Open(httpContext, RetainedResults.SizeOf(command.Stdout, command.Stderr));
                    await WriteAsync(response, "result", JsonSerializer.SerializeToUtf8Bytes(command, json), aborted);
                }
                else if (item.Result is { } display)
                {
                    await WriteAsync(response, "display", JsonSerializer.SerializeToUtf8Bytes(display, json), aborted);
                }
                else
                {
                    await WriteAsync(response, item.Kind == OutputKind.Stderr ? "stderr" : "stdout",
                        JsonSerializer.SerializeToUtf8Bytes(new OutputEvent(item.Text), json), aborted);
                }

                has = await _events.MoveNextAsync();
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            return; // The caller left; the run was cancelled with its request.
        }
        catch (Exception e)
        {
            var problem = SoulBoxExceptionHandler.ToProblem(e);
            await WriteAsync(response, "error", JsonSerializer.SerializeToUtf8Bytes(problem, json), aborted);
        }
        finally
        {
            await _events.DisposeAsync();
        }

        await WriteAsync(response, "end", "{}"u8.ToArray(), aborted);
    }

    private static async Task WriteAsync(HttpResponse response, string name, byte[] data, CancellationToken cancellationToken)
    {
        var writer = response.BodyWriter;
        writer.Write(Encoding.ASCII.GetBytes($"event: {name}\ndata: "));
        writer.Write(data);
        writer.Write("\n\n"u8);
        await writer.FlushAsync(cancellationToken);
    }

    private sealed record OutputEvent(string Text);
}
