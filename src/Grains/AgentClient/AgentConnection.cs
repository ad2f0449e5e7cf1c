using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using SoulBox.Agent.Protocol;

namespace SoulBox.Grains.AgentClient;

/// <summary>The silo's end of one persistent, multiplexed connection to a sandbox's agent. Many requests
/// run at once; each gets its events through its own bounded channel, matched by request id, and hands the
/// agent credit back as its consumer takes them (<see cref="CreditLedger"/>), so the agent never has more than
/// <see cref="AgentProtocol.CreditWindowBytes"/> of one request's output in this silo and the read loop never waits
/// for a slow consumer. An agent that sends past a window broke the protocol: the connection is closed rather than
/// anything buffered. When the connection drops (container killed, agent gone), every pending request fails with
/// <see cref="AgentConnectionLostException"/> and <see cref="Closed"/> completes.</summary>
public sealed partial class AgentConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly PipeReader _reader;
    private readonly PipeWriter _writer;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<long, PendingRequest> _pending = new();
    private readonly TaskCompletionSource<string> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ILogger _logger;
    private readonly Task _readLoop;
    private long _nextId;

    private AgentConnection(Socket socket, ILogger logger)
    {
        _socket = socket;
        var stream = new NetworkStream(socket, ownsSocket: false);
        _reader = PipeReader.Create(stream);
        _writer = PipeWriter.Create(stream);
        _logger = logger;
        _readLoop = Task.Run(ReadLoopAsync);
    }

    /// <summary>Completes with the reason when the connection is gone.</summary>
    public Task<string> Closed => _closed.Task;

    public bool IsClosed => _closed.Task.IsCompleted;

    /// <summary>Connects to the agent's socket, retrying while the container starts, and shakes hands.</summary>
    public static async Task<AgentConnection> ConnectAsync(string socketPath, TimeSpan timeout, ILogger logger, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        Exception? last = null;
        while (true)
        {
            if (File.Exists(socketPath))
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), deadline.Token).ConfigureAwait(false);
                    var connection = new AgentConnection(socket, logger);
                    var hello = await connection.RequestAsync(new HelloRequest(AgentProtocol.Version), deadline.Token).ConfigureAwait(false);
                    if (hello is not HelloEvent)
                    {
                        await connection.DisposeAsync().ConfigureAwait(false);
                        throw new InvalidOperationException($"Agent at {socketPath} answered hello with {hello.GetType().Name}.");
                    }

                    return connection;
                }
                catch (Exception e) when (e is SocketException or AgentConnectionLostException && !deadline.IsCancellationRequested)
                {
                    last = e;
                    socket.Dispose();
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    socket.Dispose();
                    throw new TimeoutException($"The agent at {socketPath} did not answer within {timeout.TotalSeconds:F0} s.", last);
                }
            }

            try
            {
                await Task.Delay(5, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"The agent socket {socketPath} did not appear within {timeout.TotalSeconds:F0} s.", last);
            }
        }
    }

    /// <summary>A request id for a request the caller must name later (a background exec's stdin and signals target
    /// its id): pass it as the request's Id to <see cref="StreamAsync"/>. Requests with Id 0 get one there.</summary>
    public long ReserveId() => Interlocked.Increment(ref _nextId);

    /// <summary>Sends a request that has exactly one answer; an ErrorEvent becomes <see cref="AgentErrorException"/>.</summary>
    public async Task<AgentEvent> RequestAsync(AgentRequest request, CancellationToken cancellationToken, ReadOnlyMemory<byte> payload = default)
    {
        AgentEvent? last = null;
        await foreach (var frame in StreamAsync(request, payload, cancellationToken).ConfigureAwait(false))
        {
            last = frame.Header;
        }

        return last!;
    }

    /// <summary>Sends a request and yields its events up to and including the terminal one. Cancelling the
    /// token sends a CancelRequest and keeps reading until the agent ends the request, so nothing keeps
    /// running in the container behind the caller's back; so does leaving the enumeration early.</summary>
    public async IAsyncEnumerable<AgentFrame<AgentEvent>> StreamAsync(AgentRequest request, ReadOnlyMemory<byte> payload, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var id = request.Id > 0 ? request.Id : Interlocked.Increment(ref _nextId);
        request = request with { Id = id };
        var pending = new PendingRequest();
        _pending[id] = pending;
        var cancelSent = 0;
        var ended = false;
        try
        {
            if (_closed.Task.IsCompleted)
            {
                throw new AgentConnectionLostException(_closed.Task.Result);
            }

            await SendAsync(request, payload, CancellationToken.None).ConfigureAwait(false);
            await using var registration = cancellationToken.Register(() => SendCancel(id, ref cancelSent)).ConfigureAwait(false);

            while (true)
            {
                AgentFrame<AgentEvent> frame;
                try
                {
                    frame = await pending.Events.Reader.ReadAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (ChannelClosedException e)
                {
                    ended = true;
                    throw e.InnerException as AgentConnectionLostException ?? new AgentConnectionLostException(_closed.Task.IsCompleted ? _closed.Task.Result : "connection closed");
                }

                if (frame.Header.IsTerminal)
                {
                    ended = true;
                }
                else if (pending.Credit.Consume(AgentProtocol.CreditCost(frame.Payload.Length)) is > 0 and var grant)
                {
                    _ = SendQuietlyAsync(new CreditRequest(id, grant) { Id = Interlocked.Increment(ref _nextId) });
                }

                if (frame.Header is ErrorEvent error)
                {
                    if (error.Code == AgentErrorCodes.Cancelled && Volatile.Read(ref cancelSent) != 0)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                    }

                    throw new AgentErrorException(error.Code, error.Message);
                }

                yield return frame;
                if (frame.Header.IsTerminal)
                {
                    break;
                }
            }
        }
        finally
        {
            _pending.TryRemove(id, out _);
            if (!ended)
            {
                // The consumer left before the end (a download whose caller went away): stop the work in the
                // container, or it would wait for credit until its connection closes.
                SendCancel(id, ref cancelSent);
            }
        }

        if (Volatile.Read(ref cancelSent) != 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private void SendCancel(long id, ref int cancelSent)
    {
        if (Interlocked.Exchange(ref cancelSent, 1) == 0 && !_closed.Task.IsCompleted)
        {
            _ = SendQuietlyAsync(new CancelRequest(id) { Id = Interlocked.Increment(ref _nextId) });
        }
    }

    /// <summary>Fire-and-forget sends (cancel, credit): a failure closes the connection, which every request sees.</summary>
    private async Task SendQuietlyAsync(AgentRequest request)
    {
        try
        {
            await SendAsync(request, default, CancellationToken.None).ConfigureAwait(false);
        }
        catch (AgentConnectionLostException)
        {
        }
    }

    private async Task SendAsync(AgentRequest request, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await AgentFrameCodec.WriteAsync<AgentRequest>(_writer, request, payload, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            Close($"write failed: {e.Message}");
            throw new AgentConnectionLostException(_closed.Task.Result);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task ReadLoopAsync()
    {
        var reason = "the agent closed the connection";
        try
        {
            while (true)
            {
                var result = await _reader.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                while (AgentFrameCodec.TryRead<AgentEvent>(ref buffer, out var frame))
                {
                    if (_pending.TryGetValue(frame.Header.Id, out var pending) && !pending.TryAdd(frame))
                    {
                        throw new InvalidDataException($"the agent sent past the credit window of request {frame.Header.Id}");
                    }
                }

                _reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception e)
        {
            reason = $"connection to the agent failed: {e.Message}";
        }

        Close(reason);
    }

    private void Close(string reason)
    {
        if (!_closed.TrySetResult(reason))
        {
            return;
        }

        LogClosed(reason);
        var error = new AgentConnectionLostException(reason);
        foreach (var pending in _pending.Values)
        {
            pending.Events.Writer.TryComplete(error);
        }

        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        Close("connection disposed");
        _socket.Dispose();
        try
        {
            await _readLoop.ConfigureAwait(false);
        }
        catch
        {
            // The read loop reports through Closed; nothing more to do here.
        }
    }

    [LoggerMessage(1, LogLevel.Debug, "Agent connection closed: {Reason}")]
    private partial void LogClosed(string reason);
}

/// <summary>One request's events on their way to its consumer, bounded by its credit window.</summary>
internal sealed class PendingRequest
{
    /// <summary>Events a full window can hold (each costs at least the frame overhead), plus the terminal one.</summary>
    private const int Capacity = AgentProtocol.CreditWindowBytes / AgentProtocol.CreditFrameOverheadBytes + 1;

    public Channel<AgentFrame<AgentEvent>> Events { get; } = Channel.CreateBounded<AgentFrame<AgentEvent>>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

    public CreditLedger Credit { get; } = new();

    /// <summary>Queues an event from the read loop without ever waiting; false when the agent overran its window.</summary>
    public bool TryAdd(AgentFrame<AgentEvent> frame) =>
        (frame.Header.IsTerminal || Credit.TryReceive(AgentProtocol.CreditCost(frame.Payload.Length))) && Events.Writer.TryWrite(frame);
}

/// <summary>The connection to a sandbox's agent is gone.</summary>
public sealed class AgentConnectionLostException(string reason) : Exception($"Agent connection lost: {reason}");

/// <summary>The agent refused a request; Code is one of <see cref="AgentErrorCodes"/>.</summary>
public sealed class AgentErrorException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
