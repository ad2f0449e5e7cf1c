using System.Diagnostics;

namespace SoulBox.Cluster.Tests.Harness;

/// <summary>One SoulBox silo as operators run it: <c>dotnet SoulBox.Silo.dll</c> (the build next to this suite's) in a
/// process of its own, configured by environment variables, on free loopback ports, its output in a log file.
/// <see cref="Kill"/> is a real kill -9 (no shutdown code runs); <see cref="StopAsync"/> is SIGTERM.</summary>
internal sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private SiloProcess(Process process, StreamWriter log, string role, string nodeName, int httpPort, int gatewayPort, string logPath)
    {
        _process = process;
        _log = log;
        Role = role;
        NodeName = nodeName;
        HttpPort = httpPort;
        GatewayPort = gatewayPort;
        LogPath = logPath;
    }

    public string Role { get; }

    public string NodeName { get; }

    /// <summary>The HTTP port: the REST API on a gateway; /health, /ready and /metrics on a worker.</summary>
    public int HttpPort { get; }

    /// <summary>The Orleans client gateway port.</summary>
    public int GatewayPort { get; }

    public string LogPath { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public Uri BaseAddress => new($"http://127.0.0.1:{HttpPort}");

    /// <summary>Starts a silo of <paramref name="role"/> ("worker" or "gateway") with <paramref name="settings"/>
    /// (configuration keys in environment-variable form, "SoulBox__Redis" = …).</summary>
    public static SiloProcess Start(string role, string nodeName, string logDirectory, IReadOnlyDictionary<string, string> settings)
    {
        var (httpPort, gatewayPort, siloPort) = (FreePorts.Next(), FreePorts.Next(), FreePorts.Next());
        var logPath = Path.Combine(logDirectory, $"{nodeName}-{DateTime.UtcNow:HHmmss.fff}.log");
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
        start.Environment["SoulBox__SiloPort"] = siloPort.ToString();
        start.Environment["SoulBox__GatewayPort"] = gatewayPort.ToString();
        start.Environment["SoulBox__Http__Urls"] = $"http://127.0.0.1:{httpPort}";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__SoulBox"] = "Information";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        var log = new StreamWriter(logPath, append: false) { AutoFlush = true };
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Append(log, $"[harness] started {role} {nodeName} pid {process.Id}, HTTP {httpPort}, gateway {gatewayPort}, silo {siloPort}");
        return new SiloProcess(process, log, role, nodeName, httpPort, gatewayPort, logPath);
    }

    /// <summary>Waits until GET <paramref name="path"/> answers 200 (or the process exits, or <paramref name="limit"/> passes).</summary>
    public async Task WaitHttpOkAsync(string path, TimeSpan limit)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var waited = Stopwatch.StartNew();
        var last = "no answer";
        while (waited.Elapsed < limit)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{NodeName} exited with code {_process.ExitCode} while waiting for {path}:\n{Tail()}");
            }

            try
            {
                using var response = await http.GetAsync(path);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }

                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{NodeName} did not answer 200 on {path} within {limit.TotalSeconds:F0} s (last: {last}):\n{Tail()}");
    }

    /// <summary>kill -9.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            Append(_log, "[harness] kill -9");
            _process.Kill(entireProcessTree: false);
            _process.WaitForExit(10_000);
        }
    }

    /// <summary>SIGTERM, then kill -9 if the silo has not exited within <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }

        Append(_log, "[harness] SIGTERM");
        Posix.Signal(_process.Id, "TERM");
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
        }
    }

    public string Log()
    {
        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public string Tail(int lines = 60) => string.Join('\n', Log().Split('\n').TakeLast(lines));

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(30));
        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
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

    /// <summary>artifacts/build/bin/SoulBox.Silo/&lt;configuration&gt;/SoulBox.Silo.dll, next to this suite's build
    /// (the suite references the Silo project, so building the suite builds it).</summary>
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
}
