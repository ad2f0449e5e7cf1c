using System.Net;
using Docker.DotNet;
using Docker.DotNet.Models;
using ContainerSpec = SoulBox.Grains.Containers.ContainerSpec;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using SoulBox.Grains.Containers;
using SoulBox.Grains.Hosting;
using SoulBox.Grains.Telemetry;

namespace SoulBox.Grains.Tests;

/// <summary>A sandbox container started under <see cref="ContainerRuntimeOptions.CgroupParent"/> (real Docker, real
/// cgroups): its CPU, memory and OOM kills are read where the engine put it, not at the default
/// /sys/fs/cgroup/&lt;controller&gt;/docker/&lt;id&gt;, where they would silently read 0.</summary>
public sealed class CgroupParentContainerTests : IAsyncLifetime
{
    private readonly string _parent = $"/soulbox-test-cg-{Guid.NewGuid().ToString("N")[..8]}";
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly DockerClient _docker = new DockerClientBuilder().WithEndpoint(new Uri("unix:///var/run/docker.sock")).Build();
    private DockerContainerRuntime? _runtime;
    private ContainerHandle? _container;

    public Task InitializeAsync()
    {
        var options = new ContainerRuntimeOptions { CgroupParent = _parent, AgentDirectory = AgentArtifacts.Find() };
        Assert.Empty(options.Validate());
        Assert.True(options.AgentDirectory is not null, "artifacts/agent is missing: run scripts/setup.sh");
        var node = $"cgtest-{_parent[^8..]}";
        // A cluster id of its own: no reaper of a real cluster takes this container for one of its own.
        var owner = new ContainerOwner($"cgtest-{_parent[^8..]}", node, SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 1), 1));
        _runtime = new DockerContainerRuntime(Options.Create(options), new NodeIdentity(node), owner,
            new SoulBoxMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()), new SoulBox.Grains.Nodes.TemplateDefinitions(Options.Create(new CustomTemplatesOptions()), Options.Create(options)), NullLogger<DockerContainerRuntime>.Instance);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task ContainerUnderACgroupParent_ReportsCpuMemoryAndOomKills()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var cancellation = timeout.Token;
        _container = await _runtime!.StartAsync(new ContainerSpec
        {
            Template = "python", MemoryBytes = 96L * 1024 * 1024, Cpu = 1, PidsLimit = 128, WorkDirSizeMb = 16, TmpSizeMb = 16,
        }, cancellation);

        var inspected = await _docker.Containers.InspectContainerAsync(_container.Id, cancellation);
        Assert.Equal(_parent, inspected.HostConfig?.CgroupParent);
        var (memoryDirectories, cpuDirectories) = ContainerCgroup.Candidates(_container.Id);
        Assert.Contains(_parent, memoryDirectories[0], StringComparison.Ordinal);
        Assert.Contains(_parent, cpuDirectories[0], StringComparison.Ordinal);
        Assert.True(Directory.Exists(memoryDirectories[0]), $"{memoryDirectories[0]} does not exist");
        // The old fixed paths do not hold this container: reading there is what gave 0.
        var (defaultMemory, defaultCpu) = CgroupLocator.DefaultCandidates(_container.Id);
        Assert.DoesNotContain(defaultMemory.Concat(defaultCpu), Directory.Exists);

        var cpuBefore = ContainerCgroup.ReadCpuSeconds(_container.Id);
        Assert.Equal(0, await ExecAsync("x = 0\nfor i in range(4_000_000): x += i\n", cancellation));
        var cpuAfter = ContainerCgroup.ReadCpuSeconds(_container.Id);
        Assert.True(cpuAfter - cpuBefore > 0.05, $"CPU read {cpuBefore:F3} s then {cpuAfter:F3} s around a busy loop");
        Assert.True(ContainerCgroup.ReadMemoryUsage(_container.Id) > 1024 * 1024, "memory usage read as (almost) 0");

        Assert.Equal(0, _runtime!.ReadOomKillCount(_container));
        var exit = await ExecAsync("b = bytearray(400 * 1024 * 1024)\nprint(len(b))\n", cancellation);
        Assert.Equal(137, exit); // SIGKILL from the OOM killer
        Assert.True(_runtime!.ReadOomKillCount(_container) >= 1, "the OOM kill was not seen");
    }

    /// <summary>Runs python3 in the container as root (the exec joins the container's cgroups); returns its exit code.</summary>
    private async Task<long> ExecAsync(string code, CancellationToken cancellationToken)
    {
        var exec = await _docker.Exec.CreateContainerExecAsync(_container!.Id, new ContainerExecCreateParameters
        {
            Cmd = ["python3", "-c", code], AttachStdout = true, AttachStderr = true,
        }, cancellationToken);
        using (var stream = await _docker.Exec.StartContainerExecAsync(exec.ID, new ContainerExecStartParameters(), cancellationToken))
        {
            await stream.ReadOutputToEndAsync(cancellationToken);
        }

        return (await _docker.Exec.InspectContainerExecAsync(exec.ID, cancellationToken)).ExitCode ?? -1;
    }

    public async Task DisposeAsync()
    {
        if (_container is not null)
        {
            await _runtime!.RemoveAsync(_container, CancellationToken.None);
        }

        _runtime?.Dispose();
        _docker.Dispose();
        await _services.DisposeAsync();
        RemoveParentCgroups(_parent);
    }

    /// <summary>The engine created the parent in every hierarchy; empty now, so rmdir removes it.</summary>
    private static void RemoveParentCgroups(string parent)
    {
        foreach (var hierarchy in Directory.EnumerateDirectories("/sys/fs/cgroup"))
        {
            var directory = hierarchy + parent;
            for (var attempt = 0; attempt < 20 && Directory.Exists(directory); attempt++)
            {
                try
                {
                    Directory.Delete(directory);
                }
                catch (IOException)
                {
                    Thread.Sleep(100); // the container's own cgroup may take a moment to go
                }
            }
        }
    }
}
