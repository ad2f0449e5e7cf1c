using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading.Channels;
using SoulBox.Agent.Protocol;

namespace SoulBox.Agent.Tests;

/// <summary>One event as the test client received it, with its payload and arrival time.</summary>
public sealed record Received(AgentEvent Event, byte[] Payload, TimeSpan At);

/// <summary>A minimal multiplexing client for the agent socket (the silo's real client lives elsewhere).</summary>
public sealed class AgentClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly PipeReader _reader;
    private readonly PipeWriter _writer;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<long, Channel<Received>> _pending = new();
    private readonly ConcurrentDictionary<long, CreditLedger> _credit = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Task _readLoop;
    private long _nextId;

    private AgentClient(Socket socket)
    {
        _socket = socket;
        var stream = new NetworkStream(socket, ownsSocket: true);
        _reader = PipeReader.Create(stream);
        _writer = PipeWriter.Create(stream);
        _readLoop = Task.Run(ReadLoopAsync);
    }

    /// <summary>Completes when the agent closed the connection.</summary>
    public Task Closed => _readLoop;

    public static async Task<AgentClient> ConnectAsync(string socketPath, bool hello = true)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
        var client = new AgentClient(socket);
        if (hello)
        {
            await client.CallAsync<HelloEvent>(new HelloRequest(AgentProtocol.Version));
        }

        return client;
    }

    public TimeSpan Now => _clock.Elapsed;

    /// <summary>Hand credit back as events arrive, as a fast consumer would (default). Off, the agent stops after
    /// one window of each request's streaming events until <see cref="GrantAsync"/>.</summary>
    public bool AutoCredit { get; set; } = true;

    /// <summary>Hands a request credit back by hand.</summary>
    public Task GrantAsync(long targetId, int bytes) =>
        SendRawAsync(new CreditRequest(targetId, bytes) { Id = Interlocked.Increment(ref _nextId) });

    /// <summary>Sends a request (assigning its id) and returns the stream of its events.</summary>
    public async Task<(long Id, ChannelReader<Received> Events)> SendAsync(AgentRequest request, byte[]? payload = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        var channel = Channel.CreateUnbounded<Received>();
        _pending[id] = channel;
        await SendRawAsync(request with { Id = id }, payload);
        return (id, channel.Reader);
    }

    public async Task SendRawAsync(AgentRequest request, byte[]? payload = null)
    {
        await _writeLock.WaitAsync();
        try
        {
            await AgentFrameCodec.WriteAsync<AgentRequest>(_writer, request, payload ?? [], CancellationToken.None);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Writes bytes as they are (for malformed-frame tests).</summary>
    public async Task SendBytesAsync(byte[] bytes)
    {
        await _writeLock.WaitAsync();
        try
        {
            await _writer.WriteAsync(bytes);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Registers interest in an id the test sends by hand (see SendBytesAsync).</summary>
    public ChannelReader<Received> Expect(long id) => (_pending[id] = Channel.CreateUnbounded<Received>()).Reader;

    /// <summary>All events of one request, the terminal one last.</summary>
    public async Task<List<Received>> RequestAsync(AgentRequest request, byte[]? payload = null, int timeoutSeconds = 30)
    {
        var (_, events) = await SendAsync(request, payload);
        return await CollectAsync(events, request.GetType().Name, timeoutSeconds);
    }

    public static async Task<List<Received>> CollectAsync(ChannelReader<Received> events, string what, int timeoutSeconds = 30)
    {
        var list = new List<Received>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        try
        {
            await foreach (var received in events.ReadAllAsync(timeout.Token))
            {
                list.Add(received);
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No terminal event for {what} within {timeoutSeconds} s; got {list.Count} events.");
        }

        return list;
    }

    /// <summary>Sends a request and returns its terminal event, which must be a <typeparamref name="T"/>.</summary>
    public async Task<T> CallAsync<T>(AgentRequest request, byte[]? payload = null, int timeoutSeconds = 30)
        where T : AgentEvent
    {
        var events = await RequestAsync(request, payload, timeoutSeconds);
        var last = events[^1].Event;
        return last as T ?? throw new InvalidOperationException($"Expected {typeof(T).Name} for {request.GetType().Name}, got {last}.");
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                var result = await _reader.ReadAsync();
                var buffer = result.Buffer;
                while (AgentFrameCodec.TryRead<AgentEvent>(ref buffer, out var frame))
                {
                    if (_pending.TryGetValue(frame.Header.Id, out var channel))
                    {
                        channel.Writer.TryWrite(new Received(frame.Header, frame.Payload, _clock.Elapsed));
                        if (AutoCredit && !frame.Header.IsTerminal
                            && _credit.GetOrAdd(frame.Header.Id, _ => new CreditLedger()).Consume(AgentProtocol.CreditCost(frame.Payload.Length)) is > 0 and var grant)
                        {
                            _ = GrantAsync(frame.Header.Id, grant);
                        }

                        if (frame.Header.IsTerminal)
                        {
                            channel.Writer.TryComplete();
                            _pending.TryRemove(frame.Header.Id, out _);
                            _credit.TryRemove(frame.Header.Id, out _);
                        }
                    }
                }

                _reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            foreach (var channel in _pending.Values)
            {
                channel.Writer.TryComplete();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Dispose();
        try
        {
            await _readLoop;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }
}
