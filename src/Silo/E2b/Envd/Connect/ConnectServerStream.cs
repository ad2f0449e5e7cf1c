using System.Buffers;
using System.IO.Pipelines;
using Google.Protobuf;

namespace SoulBox.Silo.E2b.Envd.Connect;

/// <summary>The answer of a server-streaming call: HTTP 200 <c>application/connect+json</c>, one frame per
/// message, each flushed at once, then the end-of-stream frame. Frames are written one at a time (a lock, so the
/// keep-alive timer and the call's own messages never interleave); while nothing was written for half the
/// client's <c>Keepalive-Ping-Interval</c> a keep-alive frame goes out, so proxies and the SDK see a live stream.</summary>
internal sealed class ConnectServerStream : IAsyncDisposable
{
    public const string ContentType = "application/connect+json";

    private readonly PipeWriter _writer;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TimeProvider _time;
    private readonly byte[] _keepaliveFrame;
    private readonly long _keepaliveIdleTicks;
    private readonly ITimer? _keepalive;
    private long _lastWrite;
    private bool _ended;

    private ConnectServerStream(HttpResponse response, TimeProvider time, TimeSpan? keepaliveInterval, byte[] keepaliveFrame)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        _writer = response.BodyWriter;
        _time = time;
        _keepaliveFrame = keepaliveFrame;
        _lastWrite = time.GetTimestamp();
        if (keepaliveInterval is { } interval)
        {
            var half = interval / 2;
            _keepaliveIdleTicks = (long)(half.TotalSeconds * time.TimestampFrequency);
            _keepalive = time.CreateTimer(static state => _ = ((ConnectServerStream)state!).KeepaliveAsync(), this, half, half);
        }
    }

    /// <summary>Starts the answer (status and content type; they leave with the first frame).</summary>
    public static ConnectServerStream Start(HttpContext http, TimeProvider time, TimeSpan? keepaliveInterval, byte[] keepaliveFrame) =>
        new(http.Response, time, keepaliveInterval, keepaliveFrame);

    /// <summary>Writes and flushes one message frame. After the end frame it does nothing.</summary>
    public async ValueTask WriteAsync(IMessage message, CancellationToken cancellationToken)
    {
        var json = ConnectJson.Formatter.Format(message);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_ended)
            {
                return;
            }

            ConnectEnvelope.Write(_writer, 0, json);
            _lastWrite = _time.GetTimestamp();
            await _writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Writes the end-of-stream frame (<c>{}</c>, or the error) and stops the keep-alives. Once only.</summary>
    public async ValueTask EndAsync(ConnectException? error)
    {
        _keepalive?.Dispose();
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_ended)
            {
                return;
            }

            _ended = true;
            ConnectEnvelope.Write(_writer, ConnectEnvelope.EndStreamFlag, ConnectEnvelope.EndStreamJson(error));
            await _writer.FlushAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task KeepaliveAsync()
    {
        if (!_gate.Wait(0))
        {
            return; // a frame is being written: the stream is not idle
        }

        try
        {
            if (_ended || _time.GetTimestamp() - _lastWrite < _keepaliveIdleTicks)
            {
                return;
            }

            _writer.Write(_keepaliveFrame);
            _lastWrite = _time.GetTimestamp();
            await _writer.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or OperationCanceledException)
        {
            // The client went away; the call notices through its own token.
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops the keep-alives for good (also when the stream was never ended: the client went away), so no
    /// timer callback writes into a response that is over.</summary>
    public async ValueTask DisposeAsync()
    {
        _keepalive?.Dispose();
        await _gate.WaitAsync().ConfigureAwait(false);
        _ended = true;
        _gate.Release();
    }
}
