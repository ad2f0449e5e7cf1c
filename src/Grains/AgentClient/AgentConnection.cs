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
/// run at once; each gets its events through its own channel, matched by request id. When the connection
/// drops (container killed, agent gone), every pending request fails with <see cref="AgentConnectionLostException"/>
/// and <see cref="Closed"/> completes.</summary>
public sealed partial class AgentConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly PipeReader _reader;
    private readonly PipeWriter _writer;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<long, Channel<AgentFrame<AgentEvent>>> _pending = new();
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
    /// running in the container behind the caller's back.</summary>
    public async IAsyncEnumerable<AgentFrame<AgentEvent>> StreamAsync(AgentRequest request, ReadOnlyMemory<byte> payload, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _nextId);
        request = request with { Id = id };
        var channel = Channel.CreateUnbounded<AgentFrame<AgentEvent>>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        _pending[id] = channel;
        var cancelSent = false;
        try
        {
            if (_closed.Task.IsCompleted)
            {
                throw new AgentConnectionLostException(_closed.Task.Result);
            }

            await SendAsync(request, payload, CancellationToken.None).ConfigureAwait(false);
            await using var registration = cancellationToken.Register(() =>
            {
                cancelSent = true;
                _ = SendAsync(new CancelRequest(id) { Id = Interlocked.Increment(ref _nextId) }, default, CancellationToken.None);
            }).ConfigureAwait(false);

            while (true)
            {
                AgentFrame<AgentEvent> frame;
                try
                {
                    frame = await channel.Reader.ReadAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (ChannelClosedException e)
                {
                    throw e.InnerException as AgentConnectionLostException ?? new AgentConnectionLostException(_closed.Task.IsCompleted ? _closed.Task.Result : "connection closed");
                }

                if (frame.Header is ErrorEvent error)
                {
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
        }

        if (cancelSent)
        {
            cancellationToken.ThrowIfCancellationRequested();
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
                    if (_pending.TryGetValue(frame.Header.Id, out var channel))
                    {
                        channel.Writer.TryWrite(frame);
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
        foreach (var channel in _pending.Values)
        {
            channel.Writer.TryComplete(error);
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

/// <summary>The connection to a sandbox's agent is gone.</summary>
public sealed class AgentConnectionLostException(string reason) : Exception($"Agent connection lost: {reason}");

/// <summary>The agent refused a request; Code is one of <see cref="AgentErrorCodes"/>.</summary>
public sealed class AgentErrorException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
