using System.Net;
using Docker.DotNet;
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

    /// <summary>Starts a python container through <see cref="DockerContainerRuntime"/>; the runtime the engine recorded.</summary>
    private async Task<string> RuntimeOfContainerAsync(string? configured, CancellationToken cancellationToken)
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
        var inspected = await _docker.Containers.InspectContainerAsync(container.Id, cancellationToken);
        Assert.True(inspected.State?.Running == true, $"container {container.Id[..12]} is not running: {inspected.State?.Status} {inspected.State?.Error}");
        return inspected.HostConfig?.Runtime ?? "";
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
