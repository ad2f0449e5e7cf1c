using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SoulBox.Bench.Scale;

/// <summary>A throwaway <c>redis-server</c> for the scale scenario's cluster membership: a free loopback port, no
/// persistence, a temporary directory, stopped by its pid. Its own server (not a shared one such as the tests') because
/// every silo joins the cluster "soulbox" of whatever Redis it is given: a shared Redis would mix clusters.</summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private RedisServer(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }
    public int Pid => _process.Id;
    public string ConnectionString => $"127.0.0.1:{Port}";

    public static async Task<RedisServer> StartAsync(CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("soulbox-bench-redis-").FullName;
        var port = FreePort();
        var start = new ProcessStartInfo("redis-server")
        {
            ArgumentList = { "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory, "--logfile", Path.Combine(directory, "redis.log") },
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("could not start redis-server");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("the scale scenario needs redis-server on the PATH (scripts/setup.sh installs it)", e);
        }

        var server = new RedisServer(process, directory, port);
        for (var i = 0; i < 100; i++)
        {
            if (await server.CommandAsync("PING", cancellationToken) == "+PONG")
            {
                return server;
            }

            await Task.Delay(50, cancellationToken);
        }

        await server.DisposeAsync();
        throw new TimeoutException($"redis-server on 127.0.0.1:{port} did not answer PING within 5 s");
    }

    /// <summary>One inline command over RESP; the whole reply as text (null when the server does not answer).</summary>
    public async Task<string?> CommandAsync(string command, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port, cancellationToken);
            await using var stream = client.GetStream();
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(command + "\r\n"), cancellationToken);
            return await ReadReplyAsync(stream, cancellationToken);
        }
        catch (SocketException)
        {
            return null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Reads one RESP reply: simple, error and integer replies as their line, bulk strings as their text,
    /// arrays as their elements one per line.</summary>
    private static async Task<string> ReadReplyAsync(Stream stream, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        var reader = new RespReader(stream);
        return await reader.ReadAsync(timeout.Token);
    }

    private sealed class RespReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _start;
        private int _end;

        public async Task<string> ReadAsync(CancellationToken cancellationToken)
        {
            var line = await ReadLineAsync(cancellationToken);
            switch (line[0])
            {
                case '$':
                    var length = int.Parse(line[1..]);
                    return length < 0 ? "" : System.Text.Encoding.UTF8.GetString(await ReadExactAsync(length + 2, cancellationToken), 0, length);
                case '*':
                    var count = int.Parse(line[1..]);
                    var items = new List<string>();
                    for (var i = 0; i < count; i++)
                    {
                        items.Add(await ReadAsync(cancellationToken));
                    }

                    return string.Join('\n', items);
                default:
                    return line;
            }
        }

        private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
        {
            var line = new List<byte>();
            while (true)
            {
                var b = await ReadByteAsync(cancellationToken);
                if (b == '\n' && line.Count > 0 && line[^1] == '\r')
                {
                    return System.Text.Encoding.UTF8.GetString([.. line[..^1]]);
                }

                line.Add(b);
            }
        }

        private async Task<byte[]> ReadExactAsync(int count, CancellationToken cancellationToken)
        {
            var bytes = new byte[count];
            for (var i = 0; i < count; i++)
            {
                bytes[i] = await ReadByteAsync(cancellationToken);
            }

            return bytes;
        }

        private async ValueTask<byte> ReadByteAsync(CancellationToken cancellationToken)
        {
            if (_start == _end)
            {
                _start = 0;
                _end = await stream.ReadAsync(_buffer, cancellationToken);
                if (_end == 0)
                {
                    throw new IOException("Redis closed the connection mid-reply");
                }
            }

            return _buffer[_start++];
        }
    }

    /// <summary>A field of INFO (e.g. "total_commands_processed"), or null.</summary>
    public async Task<long?> InfoFieldAsync(string field, CancellationToken cancellationToken)
    {
        var info = await CommandAsync("INFO", cancellationToken) ?? "";
        foreach (var line in info.Split("\r\n"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal) && long.TryParse(line[(field.Length + 1)..], out var value))
            {
                return value;
            }
        }

        return null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
