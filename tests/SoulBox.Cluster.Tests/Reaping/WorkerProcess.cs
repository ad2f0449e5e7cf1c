using System.Diagnostics;
using System.Net.Sockets;

namespace SoulBox.Cluster.Tests.Reaping;

/// <summary>A SoulBox silo as operators run it: <c>dotnet SoulBox.Silo.dll</c> (the build next to this suite's) in a
/// process of its own, configured by environment variables, on free loopback ports, logging to a file. Kill() is a
/// real kill -9: no shutdown code runs.</summary>
internal sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private WorkerProcess(Process process, StreamWriter log, string nodeName, int gatewayPort, string logPath)
    {
        _process = process;
        _log = log;
        NodeName = nodeName;
        GatewayPort = gatewayPort;
        LogPath = logPath;
    }

    public string NodeName { get; }

    public int GatewayPort { get; }

    public string LogPath { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Starts a worker of cluster <paramref name="clusterId"/> (Redis membership when <paramref name="redis"/>
    /// is set, else a single node) with <paramref name="settings"/> on top ("SoulBox__Pool__Templates__0" = …).</summary>
    public static WorkerProcess Start(string nodeName, string clusterId, string? redis, IReadOnlyDictionary<string, string>? settings = null)
    {
        var gatewayPort = FreePort();
        var logPath = Path.Combine(Path.GetTempPath(), $"soulbox-{nodeName}-{Guid.NewGuid().ToString("N")[..6]}.log");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { SiloDll() },
            WorkingDirectory = RepositoryRoot(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["SoulBox__Role"] = "worker";
        start.Environment["SoulBox__NodeName"] = nodeName;
        start.Environment["SoulBox__ClusterId"] = clusterId;
        start.Environment["SoulBox__SiloPort"] = FreePort().ToString();
        start.Environment["SoulBox__GatewayPort"] = gatewayPort.ToString();
        if (redis is not null)
        {
            start.Environment["SoulBox__Redis"] = redis;
        }

        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__SoulBox"] = "Information";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        var log = new StreamWriter(logPath, append: false) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new WorkerProcess(process, log, nodeName, gatewayPort, logPath);
    }

    /// <summary>kill -9.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit(10_000);
    }

    public string Log()
    {
        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public string Tail(int lines = 40) => string.Join('\n', Log().Split('\n').TakeLast(lines));

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM: a graceful stop removes the node's own containers.
            Process.Start("kill", ["-TERM", _process.Id.ToString()])?.WaitForExit();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(40));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }

        // What a failure needs of it is in the failure's message (Tail()).
        File.Delete(LogPath);
    }

    private static void Append(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            if (log.BaseStream is { CanWrite: true })
            {
                log.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {line}");
            }
        }
    }

    /// <summary>artifacts/build/bin/SoulBox.Silo/&lt;configuration&gt;/SoulBox.Silo.dll, next to this suite's build.</summary>
    private static string SiloDll()
    {
        var testDirectory = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var candidate = Path.Combine(testDirectory.Parent!.Parent!.FullName, "SoulBox.Silo", testDirectory.Name, "SoulBox.Silo.dll");
        return File.Exists(candidate) ? candidate : throw new FileNotFoundException($"SoulBox.Silo.dll not found at {candidate}; build the solution.");
    }

    /// <summary>The checkout this suite was built from: the silo finds the agent under its artifacts/agent.</summary>
    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SoulBox.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException("no SoulBox.sln above " + AppContext.BaseDirectory);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
