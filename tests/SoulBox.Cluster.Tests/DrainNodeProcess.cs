using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace SoulBox.Cluster.Tests;

/// <summary>A SoulBox silo as a separate process (<c>dotnet SoulBox.Silo.dll</c> of this build) with settings as
/// environment variables, on free loopback ports, its output kept for failure messages. Stopped with SIGTERM (what
/// docker stop and systemd send) or, if it does not exit, killed. Private to the drain tests until the cluster
/// suite's shared harness lands.</summary>
internal sealed class DrainNodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private DrainNodeProcess(Process process, string name, int httpPort)
    {
        _process = process;
        Name = name;
        HttpPort = httpPort;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    public int HttpPort { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static DrainNodeProcess Start(string name, string role, string redis, IReadOnlyDictionary<string, string> settings)
    {
        var httpPort = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { SiloPath() },
            WorkingDirectory = RepositoryRoot(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["SoulBox__Role"] = role;
        start.Environment["SoulBox__NodeName"] = name;
        start.Environment["SoulBox__Redis"] = redis;
        start.Environment["SoulBox__SiloPort"] = FreePort().ToString();
        start.Environment["SoulBox__GatewayPort"] = FreePort().ToString();
        start.Environment["SoulBox__Http__Urls"] = $"http://127.0.0.1:{httpPort}";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__SoulBox"] = "Information";
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        return new DrainNodeProcess(Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet"), name, httpPort);
    }

    public HttpClient Client(string? key)
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{HttpPort}"), Timeout = TimeSpan.FromSeconds(120) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add("X-API-Key", key);
        }

        return client;
    }

    /// <summary>Waits until GET <paramref name="path"/> answers <paramref name="status"/>.</summary>
    public async Task WaitForAsync(string path, HttpStatusCode status, TimeSpan timeout)
    {
        using var client = Client(null);
        var waited = Stopwatch.StartNew();
        var last = "";
        while (waited.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Node {Name} exited with code {_process.ExitCode} while waiting for {path}:\n{Tail()}");
            }

            try
            {
                using var response = await client.GetAsync(path);
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                if (response.StatusCode == status)
                {
                    return;
                }
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"GET {path} of node {Name} did not answer {(int)status} within {timeout.TotalSeconds} s; last: {last}\n{Tail()}");
    }

    public void Terminate() => Process.Start("kill", ["-TERM", _process.Id.ToString()])!.WaitForExit();

    /// <summary>Waits for the process to exit; false when it did not within <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public string Tail() => string.Join('\n', Output.Split('\n').TakeLast(40));

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Terminate();
            if (!await WaitForExitAsync(TimeSpan.FromSeconds(30)))
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    /// <summary>The silo built with this test project (same configuration): artifacts/build/bin/SoulBox.Silo/&lt;cfg&gt;/.</summary>
    private static string SiloPath()
    {
        var testDirectory = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var candidate = Path.Combine(testDirectory.Parent!.Parent!.FullName, "SoulBox.Silo", testDirectory.Name, "SoulBox.Silo.dll");
        return File.Exists(candidate) ? candidate : throw new FileNotFoundException($"SoulBox.Silo.dll not found at {candidate}; build the solution.");
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SoulBox.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException("SoulBox.sln not found above the test directory.");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A redis-server of the drain tests' own (no persistence) on a free loopback port, in a temporary
/// directory, so their membership table meets no other test's silos. Stopped by pid.</summary>
internal sealed class DrainRedis : IAsyncDisposable
{
    private readonly Process _process;
    private readonly DirectoryInfo _directory;

    private DrainRedis(Process process, DirectoryInfo directory, int port)
    {
        _process = process;
        _directory = directory;
        ConnectionString = $"127.0.0.1:{port}";
    }

    public string ConnectionString { get; }

    public static async Task<DrainRedis> StartAsync()
    {
        var port = DrainNodeProcess.FreePort();
        var directory = Directory.CreateTempSubdirectory("soulbox-drain-redis-");
        var start = new ProcessStartInfo("redis-server")
        {
            ArgumentList = { "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory.FullName },
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start redis-server");
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        var redis = new DrainRedis(process, directory, port);
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(10))
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return redis;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        await redis.DisposeAsync();
        throw new TimeoutException($"redis-server did not listen on {port} within 10 s.");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _directory.Delete(recursive: true);
    }
}
