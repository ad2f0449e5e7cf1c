using System.Diagnostics;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace SoulBox.Bench.Baselines.Jupyter;

/// <summary>The Jupyter kernel baseline's containers: one per kernel, each running ipykernel and the kernel driver
/// (jupyter_client) side by side, with the ZeroMQ ipc sockets and the driver's socket in a host directory
/// bind-mounted at /ipc. No network (<c>--network none</c>): nothing crosses a bridge, the bench reaches the driver
/// through the Unix socket. Limits as the Docker baselines: 512 MiB, one CPU. Kernels are started lazily as the
/// levels grow and removed on dispose with the directory.</summary>
internal sealed class JupyterKernels : IAsyncDisposable
{
    public const string RunLabel = "soulbox.bench.jupyter";

    private const UnixFileMode AnyoneReadWriteSearch = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(120);

    private readonly DockerClient _docker;
    private readonly string _runId = Guid.NewGuid().ToString("N")[..8];
    private readonly DirectoryInfo _root;
    private readonly List<JupyterKernel> _kernels = [];

    public JupyterKernels(DockerClient docker)
    {
        _docker = docker;
        // Created 0700 for the bench's user: each kernel's directory inside is open to the container's user
        // (uid 1000), but no other host user can reach the driver sockets.
        _root = Directory.CreateTempSubdirectory("soulbox-bench-jupyter-");
    }

    /// <summary>Label filter of this run's kernel containers (for the resource sampler).</summary>
    public string LabelFilter => $"{RunLabel}={_runId}";

    public int Count => _kernels.Count;

    /// <summary>The first <paramref name="count"/> kernels, starting the missing ones (4 at a time).</summary>
    public async Task<IReadOnlyList<JupyterKernel>> EnsureAsync(int count, Progress progress, CancellationToken cancellationToken)
    {
        var missing = count - _kernels.Count;
        if (missing > 0)
        {
            progress.Phase($"starting {missing} Jupyter kernel containers ({JupyterImage.Tag}, 4 at a time)");
            var started = Stopwatch.GetTimestamp();
            var ready = 0;
            var fresh = new JupyterKernel?[missing];
            await using (progress.Ticker("kernels", () => $"{Volatile.Read(ref ready)}/{missing} ready"))
            {
                try
                {
                    await Parallel.ForEachAsync(Enumerable.Range(0, missing), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (i, ct) =>
                    {
                        fresh[i] = await StartAsync(_kernels.Count + i, ct);
                        Interlocked.Increment(ref ready);
                    });
                }
                finally
                {
                    _kernels.AddRange(fresh.OfType<JupyterKernel>());
                }
            }

            progress.Info($"{missing} kernels ready in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s");
        }

        return _kernels[..count];
    }

    private async Task<JupyterKernel> StartAsync(int index, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateDirectory(Path.Combine(_root.FullName, $"k{index}"));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(directory.FullName, AnyoneReadWriteSearch);
        }

        var created = await _docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Name = $"soulbox-bench-{_runId}-jupyter-{index}",
            Image = JupyterImage.Tag,
            // Not the Docker baselines' label: their sampler counts every container that carries it.
            Labels = new Dictionary<string, string> { [RunLabel] = _runId },
            NetworkDisabled = true,
            HostConfig = new HostConfig
            {
                NetworkMode = "none",
                Memory = 512L * 1024 * 1024,
                MemorySwap = 512L * 1024 * 1024,
                NanoCPUs = 1_000_000_000,
                Init = true,
                Binds = [$"{directory.FullName}:/ipc"],
            },
        }, cancellationToken);
        var kernel = new JupyterKernel(created.ID, directory.FullName);
        try
        {
            await _docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellationToken);
            await WaitReadyAsync(kernel, cancellationToken);
            await kernel.ConnectAsync(cancellationToken);
            return kernel;
        }
        catch
        {
            await RemoveAsync(kernel);
            throw;
        }
    }

    /// <summary>The driver creates its socket once the kernel answered; a container that exits first failed.</summary>
    private async Task WaitReadyAsync(JupyterKernel kernel, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        while (!File.Exists(kernel.SocketPath))
        {
            if (Stopwatch.GetElapsedTime(started) > ReadyTimeout)
            {
                throw new TimeoutException($"Jupyter kernel {kernel.ContainerId[..12]} did not become ready within {ReadyTimeout.TotalSeconds:F0} s");
            }

            var state = await _docker.Containers.InspectContainerAsync(kernel.ContainerId, cancellationToken);
            if (state.State is { Running: false } stopped)
            {
                throw new InvalidOperationException($"Jupyter kernel container {kernel.ContainerId[..12]} exited ({stopped.ExitCode}) before it was ready (to see why: docker run --rm -v /tmp/k:/ipc {JupyterImage.Tag}, with /tmp/k mode 0777)");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    private async Task RemoveAsync(JupyterKernel kernel)
    {
        await kernel.DisposeAsync();
        try
        {
            await _docker.Containers.RemoveContainerAsync(kernel.ContainerId, new ContainerRemoveParameters { Force = true });
        }
        catch (DockerApiException)
        {
            // Gone already.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Parallel.ForEachAsync(_kernels, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (kernel, _) => await RemoveAsync(kernel));
        _kernels.Clear();
        try
        {
            _root.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Files the container's user left behind that the bench's user may not remove: /tmp is cleaned anyway.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
