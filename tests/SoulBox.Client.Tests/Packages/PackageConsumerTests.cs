using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using SoulBox.Grains.Hosting;

namespace SoulBox.Client.Tests.Packages;

/// <summary>The NuGet packages work for an app outside this repository: it restores SoulBox.Client (and through it
/// SoulBox.Abstractions) from artifacts/packages, builds, and runs code through a worker node's Orleans gateway
/// port, as the README shows. The node is a real silo on real sockets in this process (the in-process test
/// cluster's silos have no sockets another process could reach).</summary>
public sealed class PackageConsumerTests : IAsyncLifetime
{
    private readonly int _gatewayPort = FreePort();
    private readonly string _clusterId = $"pkg-{Guid.NewGuid():N}";
    private IHost? _node;

    public async Task InitializeAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(FreePort(), _gatewayPort, serviceId: SoulBoxCluster.ServiceId, clusterId: _clusterId);
            // Unique per run: a node reaps the containers labelled with its name.
            silo.Configure<SiloOptions>(o => o.SiloName = $"pkg{Environment.ProcessId}");
            silo.AddSoulBoxWorker(new ConfigurationBuilder().Build());
        });
        _node = builder.Build();
        await _node.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.StopAsync();
            _node.Dispose();
        }
    }

    [Fact]
    public async Task AnAppBuiltFromThePackedPackages_RunsCodeOnANode()
    {
        using var app = PackagedApp.Create(Path.Combine(RepositoryRoot(), "artifacts", "packages"));

        var (exitCode, output) = await app.RunAsync(new Dictionary<string, string>
        {
            ["SoulBox__Client__GatewayPort"] = _gatewayPort.ToString(),
            ["SoulBox__Client__ClusterId"] = _clusterId,
        }, TimeSpan.FromMinutes(5));

        Assert.True(exitCode == 0, $"the packaged app exited with {exitCode}:\n{output}");
        Assert.Contains("sandbox value=42", output);
        Assert.Contains("execute status=Ok stdout=hello 42", output);
        // It really used the packages: restore took both from the local source at the packed version.
        using var assets = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(app.Directory, "obj", "project.assets.json")));
        var libraries = assets.RootElement.GetProperty("libraries");
        foreach (var id in new[] { "SoulBox.Client", "SoulBox.Abstractions" })
        {
            Assert.True(libraries.TryGetProperty($"{id}/{app.Version}", out var library), $"{id} {app.Version} is not in the app's restore graph");
            Assert.Equal("package", library.GetProperty("type").GetString());
        }
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SoulBox.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No SoulBox.sln above {AppContext.BaseDirectory}.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
