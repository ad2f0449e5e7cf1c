using System.Diagnostics;

namespace SoulBox.Cluster.Tests.Harness;

/// <summary>A Redis of the test's own: redis-server on a free loopback port, its data (AOF on, as a production
/// Redis for membership would run) in the test's directory, so it can be stopped and started again with its data.</summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private readonly string _directory;
    private Process? _process;

    private RedisServer(string directory, int port)
    {
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString => $"127.0.0.1:{Port}";

    public int? Pid => _process is { HasExited: false } p ? p.Id : null;

    public static async Task<RedisServer> StartAsync(string parentDirectory)
    {
        var directory = Path.Combine(parentDirectory, "redis");
        Directory.CreateDirectory(directory);
        var server = new RedisServer(directory, FreePorts.Next());
        await server.StartAsync();
        return server;
    }

    /// <summary>Starts redis-server (again) on the same port and directory, and waits until it answers PING.</summary>
    public async Task StartAsync()
    {
        var start = new ProcessStartInfo("redis-server")
        {
            ArgumentList =
            {
                "--port", Port.ToString(), "--bind", "127.0.0.1", "--dir", _directory,
                "--appendonly", "yes", "--save", "", "--logfile", Path.Combine(_directory, "redis.log"),
            },
            UseShellExecute = false,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start redis-server");
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with {_process.ExitCode}: {Log()}");
            }

            var (code, stdout, _) = await Posix.RunAsync("redis-cli", ["-h", "127.0.0.1", "-p", Port.ToString(), "ping"], TimeSpan.FromSeconds(5));
            if (code == 0 && stdout == "PONG")
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"redis-server on {Port} did not answer PING within 20 s: {Log()}");
    }

    /// <summary>Stops redis-server with SIGTERM (it writes its AOF and exits) and waits for the exit.</summary>
    public async Task StopAsync()
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        Posix.Signal(process.Id, "TERM");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    public string Log()
    {
        var path = Path.Combine(_directory, "redis.log");
        return File.Exists(path) ? string.Join('\n', File.ReadAllLines(path).TakeLast(20)) : "";
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
    }
}
