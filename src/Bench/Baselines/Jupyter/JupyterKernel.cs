using System.Net.Sockets;
using System.Text;

namespace SoulBox.Bench.Baselines.Jupyter;

/// <summary>One kernel container and the bench's connection to its driver's Unix socket (in the directory
/// bind-mounted at /ipc). A kernel runs one cell at a time, so requests are sent one at a time: users that
/// share a kernel (levels above the kernel count) queue here, as they would in the kernel.</summary>
internal sealed class JupyterKernel(string containerId, string directory) : IAsyncDisposable
{
    public const string SocketName = "driver.sock";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private Socket? _socket;
    private StreamReader? _reader;
    private StreamWriter? _writer;

    public string ContainerId => containerId;

    /// <summary>The driver's socket, in the host directory that also holds the kernel's ZeroMQ ipc sockets.</summary>
    public string SocketPath => Path.Combine(directory, SocketName);

    /// <summary>Connects once the driver's socket exists (the driver creates it only after the kernel answered).</summary>
    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var stream = new NetworkStream(socket, ownsSocket: false);
        _socket = socket;
        _reader = new StreamReader(stream, Encoding.UTF8);
        _writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = false };
    }

    public async Task<JupyterReply> ExecuteAsync(string code, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_writer is null || _reader is null)
            {
                // Dropped after a cancelled request (its late reply went to the old connection): start afresh.
                await ConnectAsync(cancellationToken);
            }

            await _writer!.WriteAsync(JupyterProtocol.Request(code).AsMemory(), cancellationToken);
            await _writer.FlushAsync(cancellationToken);
            var line = await _reader!.ReadLineAsync(cancellationToken)
                ?? throw new IOException("the kernel driver closed the connection");
            return JupyterProtocol.ParseReply(line);
        }
        catch
        {
            // Cancelled, cut or garbled mid-reply: a half-read reply would pair the next request with this one's
            // answer, so drop the connection (the next request opens a new one).
            await DisposeConnectionAsync();
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async ValueTask DisposeConnectionAsync()
    {
        if (_writer is not null)
        {
            await _writer.DisposeAsync();
        }

        _reader?.Dispose();
        _socket?.Dispose();
        _writer = null;
        _reader = null;
        _socket = null;
    }

    public async ValueTask DisposeAsync()
    {
        await DisposeConnectionAsync();
        _gate.Dispose();
    }
}
