using System.Diagnostics;

namespace SoulBox.Cluster.Tests.State;

/// <summary>A redis-server of the test's own, on a free loopback port with its files in a temporary directory: the
/// cluster it serves (membership, cluster state) meets no other test's silos. Stopped by its pid.</summary>
internal sealed class OwnRedis : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private OwnRedis(Process process, string directory, int port) => (_process, _directory, Address) = (process, directory, $"127.0.0.1:{port}");

    public string Address { get; }

    public static async Task<OwnRedis> StartAsync()
    {
        var directory = Directory.CreateTempSubdirectory("soulbox-state-redis-").FullName;
        var port = SiloProcess.FreePort();
        var process = Process.Start(new ProcessStartInfo("redis-server")
        {
            ArgumentList = { "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory },
            RedirectStandardOutput = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("could not start redis-server");
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        var redis = new OwnRedis(process, directory, port);
        for (var i = 0; i < 100; i++)
        {
            try
            {
                await using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis.Address);
                return redis;
            }
            catch (StackExchange.Redis.RedisConnectionException)
            {
                await Task.Delay(100);
            }
        }

        await redis.DisposeAsync();
        throw new TimeoutException($"redis-server on {redis.Address} did not answer in 10 s");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
