using System.Net;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using SoulBox.Grains.Containers;
using SoulBox.Grains.Hosting;
using SoulBox.Grains.Telemetry;
using ContainerSpec = SoulBox.Grains.Containers.ContainerSpec;

namespace SoulBox.Grains.Tests;

/// <summary>The OCI runtime a sandbox container really runs under (real Docker): crun by default when the engine has it
/// registered (scripts/setup.sh registers it), the engine's default otherwise, and a configured one always.</summary>
public sealed class OciRuntimeContainerTests : IAsyncLifetime
{
    private readonly string _id = Guid.NewGuid().ToString("N")[..8];
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly DockerClient _docker = new DockerClientBuilder().WithEndpoint(new Uri("unix:///var/run/docker.sock")).Build();
    private readonly List<(DockerContainerRuntime Runtime, ContainerHandle Container)> _started = [];

    public Task InitializeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Unset_RunsUnderCrunWhenRegistered_ElseUnderTheEngineDefault()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var info = await _docker.System.GetSystemInfoAsync(timeout.Token);
        var expected = info.Runtimes.ContainsKey(OciRuntimeSelector.Preferred) ? OciRuntimeSelector.Preferred : info.DefaultRuntime;

        var runtime = await RuntimeOfContainerAsync(configured: null, timeout.Token);

        Assert.Equal(expected, runtime);
    }

    [Fact]
    public async Task ConfiguredRuntime_OverridesTheDefault()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        Assert.Equal("runc", await RuntimeOfContainerAsync(configured: "runc", timeout.Token));
    }

    /// <summary>crun on a cgroup v1 host mounts a tmpfs at /sys/fs/cgroup that every user may write (mode 1777, no inode
    /// cap), which would outlive a one-shot executor's reset; it is read-only under every runtime, as root and as the
    /// sandbox user, and the container's own limits stay readable there.</summary>
    [Fact]
    public async Task TheCgroupMount_IsReadOnly_AndShowsTheContainersLimits_UnderEachRuntime()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var registered = (await _docker.System.GetSystemInfoAsync(timeout.Token)).Runtimes.Keys;
        foreach (var runtime in new[] { "runc", OciRuntimeSelector.Preferred }.Where(registered.Contains))
        {
            var container = await StartAsync(runtime, timeout.Token);
            var inspected = await _docker.Containers.InspectContainerAsync(container.Id, timeout.Token);
            Assert.Equal(runtime, inspected.HostConfig?.Runtime);
            var uid = inspected.Config!.Labels[ContainerLabels.Uid];

            foreach (var user in new[] { "0", $"{uid}:{uid}" })
            {
                var (exit, output) = await ExecAsync(container.Id, user, "echo 1 > /sys/fs/cgroup/x && echo WROTE; ls /sys/fs/cgroup/x", timeout.Token);
                Assert.True(exit != 0 && !output.Contains("WROTE", StringComparison.Ordinal), $"{runtime}, user {user}: wrote /sys/fs/cgroup/x ({output})");
            }

            var (_, limit) = await ExecAsync(container.Id, "0",
                "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max", timeout.Token);
            Assert.Equal((96L * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture), limit.Trim());
        }
    }

    /// <summary>Starts a python container through <see cref="DockerContainerRuntime"/>; the runtime the engine recorded.</summary>
    private async Task<string> RuntimeOfContainerAsync(string? configured, CancellationToken cancellationToken)
    {
        var container = await StartAsync(configured, cancellationToken);
        var inspected = await _docker.Containers.InspectContainerAsync(container.Id, cancellationToken);
        Assert.True(inspected.State?.Running == true, $"container {container.Id[..12]} is not running: {inspected.State?.Status} {inspected.State?.Error}");
        return inspected.HostConfig?.Runtime ?? "";
    }

    private async Task<ContainerHandle> StartAsync(string? configured, CancellationToken cancellationToken)
    {
        var options = new ContainerRuntimeOptions { OciRuntime = configured, AgentDirectory = AgentArtifacts.Find() };
        Assert.True(options.AgentDirectory is not null, "artifacts/agent is missing: run scripts/setup.sh");
        var node = $"ocitest-{_id}";
        // A cluster id of its own: no reaper of a real cluster takes this container for one of its own.
        var owner = new ContainerOwner(node, node, SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 1), 1));
        var runtime = new DockerContainerRuntime(Options.Create(options), new NodeIdentity(node), owner,
            new SoulBoxMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()), NullLogger<DockerContainerRuntime>.Instance);
        var container = await runtime.StartAsync(new ContainerSpec
        {
            Template = "python", MemoryBytes = 96L * 1024 * 1024, Cpu = 1, PidsLimit = 64, WorkDirSizeMb = 16, TmpSizeMb = 16,
        }, cancellationToken);
        _started.Add((runtime, container));
        return container;
    }

    /// <summary>Runs a shell command in the container as <paramref name="user"/>; its exit code and output.</summary>
    private async Task<(long Exit, string Output)> ExecAsync(string containerId, string user, string command, CancellationToken cancellationToken)
    {
        var exec = await _docker.Exec.CreateContainerExecAsync(containerId, new ContainerExecCreateParameters
        {
            Cmd = ["sh", "-c", command], User = user, AttachStdout = true, AttachStderr = true,
        }, cancellationToken);
        string output;
        using (var stream = await _docker.Exec.StartContainerExecAsync(exec.ID, new ContainerExecStartParameters(), cancellationToken))
        {
            var (stdout, stderr) = await stream.ReadOutputToEndAsync(cancellationToken);
            output = stdout + stderr;
        }

        return ((await _docker.Exec.InspectContainerExecAsync(exec.ID, cancellationToken)).ExitCode ?? -1, output);
    }

    public async Task DisposeAsync()
    {
        foreach (var (runtime, container) in _started)
        {
            await runtime.RemoveAsync(container, CancellationToken.None);
            runtime.Dispose();
        }

        _docker.Dispose();
        await _services.DisposeAsync();
    }
}
