using System.Diagnostics;
using System.Net.Sockets;

namespace SoulBox.Cluster.Tests.State;

/// <summary>A SoulBox silo as operators run it: <c>dotnet SoulBox.Silo.dll</c> (the build next to this suite's) in a
/// process of its own, configured by environment variables, on free loopback ports, its output kept in memory for
/// failure messages. <see cref="Kill"/> is a real kill -9: no shutdown code runs.</summary>
internal sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    private SiloProcess(Process process, string nodeName, Uri? http) => (_process, NodeName, Http) = (process, nodeName, http);

    public string NodeName { get; }

    /// <summary>The HTTP gateway's address; null for a worker without one.</summary>
    public Uri? Http { get; }

    public static SiloProcess Start(string nodeName, string role, string redis, IReadOnlyDictionary<string, string> settings)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { SiloDll() },
            WorkingDirectory = RepositoryRoot(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["SoulBox__Role"] = role;
        start.Environment["SoulBox__NodeName"] = nodeName;
        start.Environment["SoulBox__Redis"] = redis;
        start.Environment["SoulBox__SiloPort"] = FreePort().ToString();
        start.Environment["SoulBox__GatewayPort"] = FreePort().ToString();
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__SoulBox"] = "Information";
        Uri? http = null;
        if (role != "worker")
        {
            http = new Uri($"http://127.0.0.1:{FreePort()}");
            start.Environment["SoulBox__Http__Urls"] = http.ToString().TrimEnd('/');
        }

        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        var silo = new SiloProcess(process, nodeName, http);
        process.OutputDataReceived += (_, e) => silo.Append(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return silo;
    }

    /// <summary>kill -9.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit(10_000);
    }

    public string Tail(int lines = 30)
    {
        lock (_output)
        {
            return string.Join('\n', _output.TakeLast(lines));
        }
    }

    /// <summary>SIGTERM and a wait: a graceful stop ends the node's sandboxes and removes its containers.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
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
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {line}");
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

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
