using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using SoulBox.Grains.Containers;
using SoulBox.Grains.Hosting;
using SoulBox.Grains.Nodes;
using SoulBox.Grains.Telemetry;

namespace SoulBox.Grains.Tests;

/// <summary>A <see cref="DockerContainerRuntime"/> outside any silo, on the real engine. The node name is also its
/// cluster id, one of the test's own: no reaper of a real cluster takes its containers for one of its own.</summary>
internal static class StandaloneContainerRuntime
{
    /// <param name="services">Provides the meter factory (<c>new ServiceCollection().AddMetrics()</c>); the caller disposes it.</param>
    /// <param name="custom">Templates registered as in SoulBox:Templates; none when null.</param>
    public static DockerContainerRuntime Create(ContainerRuntimeOptions options, string node, IServiceProvider services, CustomTemplatesOptions? custom = null)
    {
        var owner = new ContainerOwner(node, node, SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 1), 1));
        return new DockerContainerRuntime(Options.Create(options), new NodeIdentity(node), owner,
            new SoulBoxMetrics(services.GetRequiredService<IMeterFactory>()),
            new TemplateDefinitions(Options.Create(custom ?? new CustomTemplatesOptions()), Options.Create(options)),
            NullLogger<DockerContainerRuntime>.Instance);
    }
}
