using System.Diagnostics;
using System.Net.Sockets;

namespace SoulBox.Silo.Tests.TwoSilos;

/// <summary>A redis-server of this test's own (loopback, a free port, a temp directory, no persistence), stopped by
/// its pid. With SoulBox:Redis set every silo joins the cluster id "soulbox", so a shared Redis would put this
/// test's silos in one cluster with any other test's.</summary>
internal sealed class OwnRedis : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private OwnRedis(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString => $"127.0.0.1:{Port}";

    public static async Task<OwnRedis> StartAsync()
    {
        var directory = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"soulbox-redis-{Guid.NewGuid():N}")).FullName;
        var port = FreePort();
        var info = new ProcessStartInfo("redis-server") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start (is it installed? scripts/setup.sh installs it).");
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        var redis = new OwnRedis(process, directory, port);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return redis;
            }
            catch (SocketException) when (!process.HasExited)
            {
                await Task.Delay(50);
            }
        }

        await redis.DisposeAsync();
        throw new TimeoutException($"redis-server on port {port} did not accept connections within 5 s.");
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

    private static int FreePort() => SoulBox.Cluster.Tests.Harness.FreePorts.Next();
}
