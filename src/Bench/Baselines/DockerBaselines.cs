using System.Diagnostics;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace SoulBox.Bench.Baselines;

/// <summary>The naive ways of running code that SoulBox must beat, on the same engine and images:
/// (a) <c>docker run --rm</c> per request through the CLI; (b) Docker exec per request (create exec, start,
/// read the output to the end) into a warm container of the same image, through the Engine API.
/// Every container runs with <c>--network none</c>, a 512 MiB memory limit and one CPU, like a default sandbox.</summary>
internal sealed class DockerBaselines : IAsyncDisposable
{
    public const string Label = "soulbox.bench";

    private readonly DockerClient _docker;
    private readonly Dictionary<string, string> _warm = [];
    private readonly string _runId = Guid.NewGuid().ToString("N")[..8];

    public DockerBaselines(string endpoint = "unix:///var/run/docker.sock", string apiVersion = "1.41")
    {
        _docker = new DockerClientBuilder().WithEndpoint(new Uri(endpoint)).WithApiVersion(System.Version.Parse(apiVersion)).Build();
    }

    public static string ImageOf(string template) => $"soulbox/{template}:latest";

    public DockerClient Client => _docker;

    public async Task<string> EngineVersionAsync(CancellationToken cancellationToken)
    {
        var version = await _docker.System.GetVersionAsync(cancellationToken);
        return $"Docker {version.Version} (API {version.APIVersion}), {version.Os}/{version.Arch}, kernel {version.KernelVersion}";
    }

    public async Task<bool> ImageExistsAsync(string template, CancellationToken cancellationToken)
    {
        try
        {
            await _docker.Images.InspectImageAsync(ImageOf(template), cancellationToken);
            return true;
        }
        catch (DockerImageNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Starts (once per template) an idle container to exec into: same image, no network.</summary>
    public async Task<string> WarmContainerAsync(string template, CancellationToken cancellationToken)
    {
        if (_warm.TryGetValue(template, out var id))
        {
            return id;
        }

        var created = await _docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Name = $"soulbox-bench-{_runId}-{template}",
            Image = ImageOf(template),
            Entrypoint = ["sleep", "infinity"],
            Labels = new Dictionary<string, string> { [Label] = "exec-baseline" },
            NetworkDisabled = true,
            HostConfig = new HostConfig { NetworkMode = "none", Memory = 512L * 1024 * 1024, MemorySwap = 512L * 1024 * 1024, NanoCPUs = 1_000_000_000, Init = true },
        }, cancellationToken);
        await _docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellationToken);
        return _warm[template] = created.ID;
    }

    public IReadOnlyList<string> WarmContainerIds => [.. _warm.Values];

    /// <summary>One request by Docker exec: null when it printed <paramref name="expected"/>, else an error kind.</summary>
    public async Task<string?> ExecAsync(string containerId, LanguageWorkload workload, string[] command, string expected, CancellationToken cancellationToken)
    {
        var exec = await _docker.Exec.CreateContainerExecAsync(containerId, new ContainerExecCreateParameters
        {
            AttachStdout = true,
            AttachStderr = true,
            Cmd = command,
            Env = [$"SRC={workload.Code}"],
        }, cancellationToken);
        using var stream = await _docker.Exec.StartContainerExecAsync(exec.ID, new ContainerExecStartParameters(), cancellationToken);
        var (stdout, _) = await stream.ReadOutputToEndAsync(cancellationToken);
        return stdout.Contains(expected, StringComparison.Ordinal) ? null : "wrong output";
    }

    /// <summary>One request by <c>docker run --rm</c> (the CLI, a process per request).</summary>
    public static async Task<string?> RunRmAsync(string template, LanguageWorkload workload, string[] command, string expected, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("docker")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "run", "--rm", "--network", "none", "--memory", "512m", "--cpus", "1", "--label", $"{Label}=run-baseline", "-e", "SRC", ImageOf(template) })
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var argument in command)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["SRC"] = workload.Code;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start docker");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var output = await stdout;
        await stderr;
        return process.ExitCode != 0 ? $"exit {process.ExitCode}" : output.Contains(expected, StringComparison.Ordinal) ? null : "wrong output";
    }

    /// <summary>Ids of this node's sandbox containers (label soulbox.node=<paramref name="node"/>), for memory sampling.</summary>
    public async Task<IReadOnlyList<string>> ContainerIdsAsync(string labelFilter, CancellationToken cancellationToken)
    {
        var containers = await _docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [labelFilter] = true } },
        }, cancellationToken);
        var ids = containers.Select(c => c.ID).ToList();
        await Measurement.ContainerCgroups.LocateAsync(_docker, ids, cancellationToken);
        return ids;
    }

    /// <summary>Finds where a container's cgroups are before its memory or CPU is read (see ContainerCgroups).</summary>
    public Task LocateAsync(string containerId, CancellationToken cancellationToken) =>
        Measurement.ContainerCgroups.LocateAsync(_docker, [containerId], cancellationToken);

    public async ValueTask DisposeAsync()
    {
        foreach (var id in _warm.Values)
        {
            try
            {
                await _docker.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true });
            }
            catch (DockerApiException)
            {
            }
        }

        _docker.Dispose();
    }
}
