using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using SoulBox.Silo.Auth;
using SoulBox.Silo.Problems;

namespace SoulBox.Silo.Api;

/// <summary>Server-Sent Events of a background process a caller is attached to: <c>started</c> (<c>{"pid":N}</c>),
/// <c>stdout</c>/<c>stderr</c> as produced (<c>{"text":...}</c> when the chunk is valid UTF-8, else
/// <c>{"base64":...}</c>: chunks are raw bytes and may split a character), <c>exit</c> (exitCode, signal, timedOut,
/// wallTimeMs), or <c>error</c> (problem details) when the stream fails after it began; always <c>end</c> last. A quiet
/// process gets an SSE comment (<c>: keep-alive</c>) every KeepAliveSeconds. Closing the connection detaches; the
/// process keeps running. The stream gives back the tenant's in-flight slot once it has begun and holds a
/// <see cref="ProcessStreamLimiter"/> lease instead.</summary>
internal sealed class ProcessEventStream : IResult, IStatusCodeHttpResult, IContentTypeHttpResult
{
    private const int EventsPerGrainAnswer = 8;

    private readonly IAsyncEnumerator<ProcessEvent> _events;
    private readonly IDisposable _lease;
    private readonly TimeSpan _keepAlive;

    private ProcessEventStream(IAsyncEnumerator<ProcessEvent> events, IDisposable lease, TimeSpan keepAlive)
    {
        _events = events;
        _lease = lease;
        _keepAlive = keepAlive;
    }

    int? IStatusCodeHttpResult.StatusCode => StatusCodes.Status200OK;

    string IContentTypeHttpResult.ContentType => RunEventStream.ContentType;

    /// <summary>Opens the stream and waits for its first event (Started): a start or attach that fails (validation, unknown
    /// pid, too many processes) throws here, before any byte, and becomes an ordinary problem response.</summary>
    public static async Task<ProcessEventStream> OpenAsync(IAsyncEnumerable<ProcessEvent> stream, string tenant, ProcessStreamLimiter limiter, CancellationToken cancellationToken)
    {
        var lease = limiter.Enter(tenant);
        IAsyncEnumerator<ProcessEvent>? events = null;
        try
        {
            if (stream is IAsyncEnumerableRequest<ProcessEvent>)
            {
                // As for runs: a slow reader must not have Orleans gather a hundred output chunks into one answer.
                stream = stream.WithBatchSize(EventsPerGrainAnswer);
            }

            events = stream.GetAsyncEnumerator(cancellationToken);
            if (!await events.MoveNextAsync() || events.Current.Kind != ProcessEventKind.Started)
            {
                throw new SoulBoxException(ErrorCodes.Internal, "The process stream did not begin with Started.");
            }

            return new ProcessEventStream(events, lease, TimeSpan.FromSeconds(limiter.Options.KeepAliveSeconds));
        }
        catch
        {
            if (events is not null)
            {
                await events.DisposeAsync();
            }

            lease.Dispose();
            throw;
        }
    }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        // From here the stream may last as long as the process: it is bounded by its lease, not the in-flight limit.
        httpContext.Features.Get<TenantInFlightSlot>()?.Release();
        var response = httpContext.Response;
        var json = httpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = RunEventStream.ContentType;
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        httpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var aborted = httpContext.RequestAborted;
        Task<bool>? next = null;
        try
        {
            await response.StartAsync(aborted);
            await WriteAsync(response, "started", JsonSerializer.SerializeToUtf8Bytes(new StartedView(_events.Current.Pid), json), aborted);
            while (true)
            {
                next ??= _events.MoveNextAsync().AsTask();
                if (!next.IsCompleted)
                {
                    // A timer only while waiting, cancelled at once when the event comes: a chatty process makes none.
                    using var quiet = CancellationTokenSource.CreateLinkedTokenSource(aborted);
                    var timer = Task.Delay(_keepAlive, quiet.Token);
                    var first = await Task.WhenAny(next, timer);
                    await quiet.CancelAsync();
                    if (first != next)
                    {
                        aborted.ThrowIfCancellationRequested();
                        await WriteRawAsync(response, ": keep-alive\n\n"u8.ToArray(), aborted);
                        continue;
                    }
                }

                if (!await next)
                {
                    break;
                }

                next = null;
                var item = _events.Current;
                switch (item.Kind)
                {
                    case ProcessEventKind.Stdout or ProcessEventKind.Stderr:
                        var data = item.Data ?? [];
                        var output = System.Text.Unicode.Utf8.IsValid(data) ? new OutputView(Encoding.UTF8.GetString(data), null) : new OutputView(null, Convert.ToBase64String(data));
                        await WriteAsync(response, item.Kind == ProcessEventKind.Stdout ? "stdout" : "stderr", JsonSerializer.SerializeToUtf8Bytes(output, json), aborted);
                        break;
                    case ProcessEventKind.Exited:
                        await WriteAsync(response, "exit", JsonSerializer.SerializeToUtf8Bytes(item.Exit, json), aborted);
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            return; // The caller left: detached, the process keeps running.
        }
        catch (Exception e)
        {
            var problem = SoulBoxExceptionHandler.ToProblem(e);
            await WriteAsync(response, "error", JsonSerializer.SerializeToUtf8Bytes(problem, json), aborted);
        }
        finally
        {
            if (next is { IsCompleted: false })
            {
                // Cancelled with the request; an enumerator is not disposed while its MoveNext runs.
                await next.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }

            await _events.DisposeAsync();
            _lease.Dispose();
        }

        await WriteAsync(response, "end", "{}"u8.ToArray(), aborted);
    }

    private static Task WriteAsync(HttpResponse response, string name, byte[] data, CancellationToken cancellationToken)
    {
        var writer = response.BodyWriter;
        writer.Write(Encoding.ASCII.GetBytes($"event: {name}\ndata: "));
        writer.Write(data);
        writer.Write("\n\n"u8);
        return writer.FlushAsync(cancellationToken).AsTask();
    }

    private static Task WriteRawAsync(HttpResponse response, byte[] data, CancellationToken cancellationToken)
    {
        response.BodyWriter.Write(data);
        return response.BodyWriter.FlushAsync(cancellationToken).AsTask();
    }

    private sealed record StartedView(int Pid);

    private sealed record OutputView(string? Text, string? Base64);
}
