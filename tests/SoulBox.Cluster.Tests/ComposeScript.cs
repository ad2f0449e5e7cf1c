using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace SoulBox.Cluster.Tests;

/// <summary>The compose cluster of this repository as <c>scripts/cluster.sh</c> runs it, made private to one test:
/// its own Compose project, cluster id, free loopback ports and env file (so a developer's cluster on the default
/// ports, and their <c>.env</c>, are left alone).</summary>
internal sealed class ComposeScript
{
    private readonly Dictionary<string, string> _environment;

    public ComposeScript(string directory)
    {
        RepositoryRoot = FindRepositoryRoot();
        EnvFile = Path.Combine(directory, "cluster.env");
        var id = $"ctest{Environment.ProcessId}";
        ClusterId = id;
        Project = $"soulbox-{id}";
        var ports = FreePorts(11);
        HttpPort = ports[0];
        PrometheusPort = ports[1];
        WorkerHttpPorts = [ports[2], ports[3]];
        _environment = new Dictionary<string, string>
        {
            ["SOULBOX_ENV_FILE"] = EnvFile,
            ["COMPOSE_PROJECT_NAME"] = Project,
            ["SOULBOX_CLUSTER_ID"] = ClusterId,
            ["SOULBOX_HTTP_PORT"] = $"{HttpPort}",
            ["SOULBOX_PROMETHEUS_PORT"] = $"{PrometheusPort}",
            ["SOULBOX_WORKER1_HTTP_PORT"] = $"{ports[2]}",
            ["SOULBOX_WORKER2_HTTP_PORT"] = $"{ports[3]}",
            ["SOULBOX_REDIS_PORT"] = $"{ports[4]}",
            ["SOULBOX_WORKER1_SILO_PORT"] = $"{ports[5]}",
            ["SOULBOX_WORKER1_GATEWAY_PORT"] = $"{ports[6]}",
            ["SOULBOX_WORKER2_SILO_PORT"] = $"{ports[7]}",
            ["SOULBOX_WORKER2_GATEWAY_PORT"] = $"{ports[8]}",
            ["SOULBOX_GATEWAY_SILO_PORT"] = $"{ports[9]}",
            ["SOULBOX_GATEWAY_GATEWAY_PORT"] = $"{ports[10]}",
        };
    }

    public string RepositoryRoot { get; }
    public string EnvFile { get; }
    public string ClusterId { get; }
    public string Project { get; }
    public int HttpPort { get; }
    public int PrometheusPort { get; }
    public int[] WorkerHttpPorts { get; }
    public string[] WorkerNames => [$"{ClusterId}-worker-1", $"{ClusterId}-worker-2"];

    /// <summary>Runs <c>scripts/cluster.sh</c> with these arguments; returns its exit code and output (stdout and
    /// stderr interleaved as they came), or throws <see cref="TimeoutException"/> after killing it.</summary>
    public async Task<(int Code, string Output)> RunAsync(TimeSpan timeout, params string[] arguments)
    {
        var start = new ProcessStartInfo("bash")
        {
            WorkingDirectory = RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(RepositoryRoot, "scripts", "cluster.sh"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // `dotnet test` leaves MSBuild's own variables in the test host's environment; the script's `dotnet publish`
        // must resolve its SDK as a shell would.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in _environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start bash");
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"scripts/cluster.sh {string.Join(' ', arguments)} did not finish within {timeout}; output:\n{Tail(output)}");
        }

        process.WaitForExit();
        lock (output)
        {
            return (process.ExitCode, output.ToString());
        }
    }

    /// <summary>The lines a Docker CLI command prints (e.g. <c>ps -aq --filter label=...</c>): what an operator would see.</summary>
    public static async Task<string[]> DockerAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start docker");
        var stdout = await process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"docker {string.Join(' ', arguments)} failed ({process.ExitCode}): {stderr}");
        }

        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    public static string Tail(StringBuilder output, int lines = 60)
    {
        lock (output)
        {
            return Tail(output.ToString(), lines);
        }
    }

    public static string Tail(string output, int lines = 60) =>
        string.Join('\n', output.Split('\n').TakeLast(lines));

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    /// <summary>Distinct free loopback ports, all held open until every one is chosen so none is handed out twice.</summary>
    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "compose.yaml")) && File.Exists(Path.Combine(directory.FullName, "scripts", "cluster.sh")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no compose.yaml with scripts/cluster.sh above {AppContext.BaseDirectory}");
    }
}
