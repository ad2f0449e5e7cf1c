using Google.Protobuf;
using SoulBox.Silo.Api;
using SoulBox.Silo.Auth;
using SoulBox.Silo.E2b.Envd.Connect;

namespace SoulBox.Silo.E2b.Envd;

/// <summary>One server-streaming envd call: runs its body under the call's deadline (Connect-Timeout-Ms) and the
/// client's connection, and always finishes the answer with the end-of-stream frame the SDK requires — <c>{}</c>,
/// the failure as a Connect error, or deadline_exceeded when the deadline passed. A client that went away gets
/// nothing more (and its process is not touched: ending the grain's enumeration only detaches).</summary>
internal sealed class EnvdStream(HttpContext http, TimeProvider time, byte[] keepaliveFrame)
{
    private ConnectServerStream? _stream;

    public async Task RunAsync(Func<CancellationToken, long?, Task> body, ILogger logger, CancellationToken cancellationToken)
    {
        var timeoutMs = ConnectHeaders.TimeoutMilliseconds(http.Request);
        await using var stream = _stream = ConnectServerStream.Start(http, time, ConnectHeaders.KeepaliveInterval(http.Request), keepaliveFrame);
        using var deadline = timeoutMs is { } ms ? new CancellationTokenSource(TimeSpan.FromMilliseconds(ms), time) : null;
        using var linked = deadline is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var token = linked?.Token ?? cancellationToken;
        ConnectException? error = null;
        IDisposable? lease = null;
        try
        {
            // A stream may last as long as its process: like the REST API's process streams it gives back its
            // in-flight slot and is bounded by a process-stream lease instead (SoulBox:ProcessStreams).
            lease = http.RequestServices.GetRequiredService<ProcessStreamLimiter>().Enter(http.Tenant());
            http.Features.Get<TenantInFlightSlot>()?.Release();
            await body(token, timeoutMs);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return; // the client went away
        }
        catch (OperationCanceledException) when (deadline?.IsCancellationRequested == true)
        {
            error = new ConnectException(ConnectCodes.DeadlineExceeded, $"The call's deadline (Connect-Timeout-Ms {timeoutMs}) passed.");
        }
        catch (Exception e)
        {
            error = EnvdErrors.From(e);
            if (error.Code == ConnectCodes.Internal)
            {
                EnvdLog.CallFailed(logger, e, http.Request.Path.Value ?? "");
            }
        }
        finally
        {
            lease?.Dispose();
        }

        try
        {
            await stream.EndAsync(error);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException)
        {
            // The client went away just as the stream ended.
        }
    }

    /// <summary>Writes one message frame (flushed).</summary>
    public ValueTask WriteAsync(IMessage message, CancellationToken cancellationToken) =>
        _stream!.WriteAsync(message, cancellationToken);
}
