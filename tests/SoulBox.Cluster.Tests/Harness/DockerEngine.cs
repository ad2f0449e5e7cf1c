using System.Diagnostics;

namespace SoulBox.Cluster.Tests.Harness;

/// <summary>A second Docker engine of the test's own: dockerd with its own socket, data root, exec root and pidfile in
/// the test's directory, and no networking of its own (no bridge, no iptables, no masquerading), so it never touches
/// the host's. Stopped with SIGTERM, as an operator's engine restart would, and started again on the same data.</summary>
internal sealed class DockerEngine : IAsyncDisposable
{
    private readonly string _directory;
    private Process? _process;

    private DockerEngine(string directory)
    {
        _directory = directory;
        // Short paths: containerd's sockets live under the exec root and Unix socket paths are limited to 107 bytes.
        ExecRoot = Path.Combine("/run", $"sbx-{Guid.NewGuid().ToString("N")[..8]}");
    }

    public string Socket => Path.Combine(ExecRoot, "docker.sock");

    public string Endpoint => $"unix://{Socket}";

    public string ExecRoot { get; }

    public Containers Containers => new(Socket);

    public int? Pid => _process is { HasExited: false } p ? p.Id : null;

    public static async Task<DockerEngine> StartAsync(string parentDirectory)
    {
        var directory = Path.Combine(parentDirectory, "dockerd");
        Directory.CreateDirectory(directory);
        var engine = new DockerEngine(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, "daemon.json"), "{}");
        await engine.StartAsync();
        return engine;
    }

    public async Task StartAsync()
    {
        Directory.CreateDirectory(ExecRoot);
        // In a network namespace of its own: a dockerd started with --bridge=none deletes the host's docker0 on start
        // (libnetwork's removeDefaultBridgeInterface), which broke every later `docker build` on the machine. The
        // private engine needs no network: sandboxes have none, and the silo reaches agents through bind-mounted
        // sockets. unshare execs dockerd, so the process is dockerd itself.
        var start = new ProcessStartInfo("unshare")
        {
            ArgumentList =
            {
                "--net", "--", "dockerd",
                "--host", Endpoint,
                "--data-root", Path.Combine(_directory, "data"),
                "--exec-root", ExecRoot,
                "--pidfile", Path.Combine(ExecRoot, "docker.pid"),
                "--config-file", Path.Combine(_directory, "daemon.json"),
                "--bridge=none", "--iptables=false", "--ip-masq=false",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var log = Path.Combine(_directory, "dockerd.log");
        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start dockerd");
        var writer = new StreamWriter(log, append: true) { AutoFlush = true };
        _process.OutputDataReceived += (_, e) => Write(writer, e.Data);
        _process.ErrorDataReceived += (_, e) => Write(writer, e.Data);
        _process.Exited += (_, _) => { lock (writer) { writer.Dispose(); } };
        _process.EnableRaisingEvents = true;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"dockerd exited with {_process.ExitCode}: {Log()}");
            }

            var (code, _, _) = await Posix.RunAsync("docker", ["-H", Endpoint, "version", "--format", "{{.Server.Version}}"], TimeSpan.FromSeconds(10));
            if (code == 0)
            {
                return;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"dockerd on {Socket} did not answer within 60 s: {Log()}");
    }

    /// <summary>Copies an image of the host's engine into this one (docker save | docker load).</summary>
    public async Task LoadImageAsync(string image)
    {
        var (code, _, stderr) = await Posix.RunAsync("sh", ["-c", $"docker save '{image}' | docker -H '{Endpoint}' load"], TimeSpan.FromMinutes(5));
        if (code != 0)
        {
            throw new InvalidOperationException($"loading {image} into {Socket}: {stderr}");
        }
    }

    /// <summary>SIGTERM and wait: dockerd stops its containers and exits.</summary>
    public async Task StopAsync()
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        Posix.Signal(process.Id, "TERM");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    public string Log()
    {
        var path = Path.Combine(_directory, "dockerd.log");
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            return string.Join('\n', reader.ReadToEnd().Split('\n').TakeLast(30));
        }
        catch (IOException)
        {
            return "";
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
        try
        {
            // The data root holds root-owned layers; after a clean stop nothing is mounted there any more.
            await Posix.RunAsync("rm", ["-rf", Path.Combine(_directory, "data"), ExecRoot], TimeSpan.FromMinutes(2));
        }
        catch (TimeoutException)
        {
        }
    }

    private static void Write(StreamWriter writer, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (writer)
        {
            if (writer.BaseStream is { CanWrite: true })
            {
                writer.WriteLine(line);
            }
        }
    }
}
