using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text.Json;
using SoulBox.Agent.Protocol;
using SoulBox.Agent.Worker;

namespace SoulBox.Agent.Transport;

/// <summary>One silo connection: a framing read loop that dispatches every request to the worker
/// concurrently, a writer serialised by a lock, and the cancellation and credit maps of running requests.
/// Credit waits happen in each request's <see cref="RequestSink"/>, never under the writer lock and never on
/// the read loop, so one request waiting for its slow reader holds up no other.</summary>
internal sealed class AgentConnection(Socket socket, WorkerServices services, int number)
{
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<long, CancellationTokenSource> _running = new();
    private readonly ConcurrentDictionary<long, CreditWindow> _credit = new();
    private readonly CancellationTokenSource _closed = new();
    private readonly RequestRouter _router = new(services);
    private PipeWriter? _writer;

    public async Task RunAsync()
    {
        AgentLog.Info($"connection {number} opened");
        var stream = new NetworkStream(socket, ownsSocket: true);
        var reader = PipeReader.Create(stream);
        _writer = PipeWriter.Create(stream);
        var helloDone = false;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(_closed.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    while (TryReadRequest(ref buffer, out var frame, out var badRequest))
                    {
                        if (!helloDone)
                        {
                            helloDone = await HelloAsync(frame, badRequest).ConfigureAwait(false);
                            if (!helloDone)
                            {
                                return;
                            }
                        }
                        else if (badRequest is not null)
                        {
                            await SendAsync(badRequest).ConfigureAwait(false);
                        }
                        else
                        {
                            Dispatch(frame.Header, frame.Payload);
                        }
                    }
                }
                finally
                {
                    // Everything parsed is consumed; a partial frame stays for the next read.
                    reader.AdvanceTo(buffer.Start, buffer.End);
                }

                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (InvalidDataException e)
        {
            AgentLog.Info($"connection {number}: framing broken ({e.Message}); closing");
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
        {
        }
        finally
        {
            await CloseAsync(reader).ConfigureAwait(false);
        }
    }

    /// <summary>Writes one event; events of a closed connection are dropped (nobody can receive them). With
    /// <paramref name="flush"/> false the frame leaves with the next event's flush (see <see cref="IEventSink"/>).</summary>
    public async ValueTask SendAsync(AgentEvent agentEvent, ReadOnlyMemory<byte> payload = default, bool flush = true)
    {
        if (_closed.IsCancellationRequested || _writer is null)
        {
            return;
        }

        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await AgentFrameCodec.WriteAsync(_writer, agentEvent, payload, CancellationToken.None, flush).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            _closed.Cancel();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Sends what unflushed frames wait in the buffer (a request about to wait for credit must not hold back
    /// frames whose consumption would give it that credit).</summary>
    public async ValueTask FlushAsync()
    {
        if (_closed.IsCancellationRequested || _writer is null)
        {
            return;
        }

        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await _writer.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            _closed.Cancel();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task<bool> HelloAsync(AgentFrame<AgentRequest> frame, ErrorEvent? badRequest)
    {
        if (badRequest is null && frame.Header is HelloRequest { ProtocolVersion: AgentProtocol.Version } hello)
        {
            await SendAsync(new HelloEvent(AgentProtocol.Version, AgentOptions.Version, Environment.ProcessId) { Id = hello.Id }).ConfigureAwait(false);
            return true;
        }

        var id = badRequest?.Id ?? frame.Header.Id;
        var message = frame.Header is HelloRequest other
            ? $"Protocol version {other.ProtocolVersion} is not supported; this agent speaks version {AgentProtocol.Version}."
            : $"The first request must be hello with protocol version {AgentProtocol.Version}.";
        AgentLog.Info($"connection {number}: {message} Closing.");
        await SendAsync(new ErrorEvent(AgentErrorCodes.VersionMismatch, message) { Id = id }).ConfigureAwait(false);
        return false;
    }

    private void Dispatch(AgentRequest request, byte[] payload)
    {
        switch (request)
        {
            case CreditRequest grant:
                // Not answered; credit for a request that already ended has nothing left to release.
                if (_credit.TryGetValue(grant.TargetId, out var window))
                {
                    window.Grant(grant.Bytes);
                }

                return;
            case HelloRequest:
                _ = SendAsync(new HelloEvent(AgentProtocol.Version, AgentOptions.Version, Environment.ProcessId) { Id = request.Id });
                return;
            case CancelRequest cancel:
                // A finished or unknown target is fine: the cancel simply had nothing left to do.
                if (_running.TryGetValue(cancel.TargetId, out var target))
                {
                    target.Cancel();
                }

                _ = new RequestSink(this, request.Id).SendAsync(new OkEvent());
                return;
        }

        var cancellation = CancellationTokenSource.CreateLinkedTokenSource(_closed.Token);
        if (!_running.TryAdd(request.Id, cancellation))
        {
            cancellation.Dispose();
            _ = new RequestSink(this, request.Id).SendAsync(new ErrorEvent(AgentErrorCodes.BadRequest, $"Request id {request.Id} is already running."));
            return;
        }

        var credit = new CreditWindow();
        _credit[request.Id] = credit;
        var sink = new RequestSink(this, request.Id, credit, cancellation.Token);
        _router.Start(request, payload, sink, cancellation.Token).ContinueWith(_ =>
        {
            // Output still waiting for credit (a pipe drained after the exit event) is dropped now.
            _credit.TryRemove(request.Id, out var _);
            credit.Close();
            _running.TryRemove(request.Id, out var _);
            cancellation.Dispose();
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Parses the next complete frame. A frame whose header is not a valid request is
    /// skipped and reported as <paramref name="badRequest"/>; only broken framing throws.</summary>
    private static bool TryReadRequest(ref ReadOnlySequence<byte> buffer, out AgentFrame<AgentRequest> frame, out ErrorEvent? badRequest)
    {
        badRequest = null;
        try
        {
            return AgentFrameCodec.TryRead(ref buffer, out frame);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
        {
            // The codec checked the lengths before parsing, so the frame is whole: skip it.
            var prefix = new byte[8];
            buffer.Slice(0, 8).CopyTo(prefix);
            var frameLength = BinaryPrimitives.ReadUInt32BigEndian(prefix);
            var headerLength = BinaryPrimitives.ReadUInt32BigEndian(prefix.AsSpan(4));
            var id = ReadId(buffer.Slice(8, headerLength));
            buffer = buffer.Slice(4 + frameLength);
            frame = new AgentFrame<AgentRequest>(new StatsRequest { Id = id }, []);
            badRequest = new ErrorEvent(AgentErrorCodes.BadRequest, $"Malformed or unknown request: {e.Message}") { Id = id };
            return true;
        }
    }

    /// <summary>Best effort: the id of a header we could not parse, so the caller can match the error.</summary>
    private static long ReadId(ReadOnlySequence<byte> header)
    {
        try
        {
            using var document = JsonDocument.Parse(header);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("id", out var id)
                && id.TryGetInt64(out var value) ? value : 0;
        }
        catch (JsonException)
        {
            return 0;
        }
    }

    private async Task CloseAsync(PipeReader reader)
    {
        // Cancel what still runs for this connection (their processes are killed), then close.
        foreach (var cancellation in _running.Values)
        {
            try
            {
                cancellation.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }

        foreach (var credit in _credit.Values)
        {
            credit.Close();
        }

        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            _closed.Cancel();
            await reader.CompleteAsync().ConfigureAwait(false);
            if (_writer is not null)
            {
                await _writer.CompleteAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _writeLock.Release();
        }

        socket.Dispose();
        AgentLog.Info($"connection {number} closed");
    }
}
