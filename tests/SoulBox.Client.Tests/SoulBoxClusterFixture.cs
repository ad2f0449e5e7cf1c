using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using SoulBox.Client;
using SoulBox.Grains.Hosting;

namespace SoulBox.Client.Tests;

/// <summary>A real two-silo SoulBox cluster in this process, both silos worker nodes on the local Docker
/// engine (started by scripts/test.sh), and a client connected to it. Shared by every test in the collection.</summary>
public sealed class SoulBoxClusterFixture : IAsyncLifetime
{
    public InProcessTestCluster Cluster { get; private set; } = null!;

    public ISoulBoxClient SoulBox { get; private set; } = null!;

    /// <summary>Node names of the silos, in start order.</summary>
    public IReadOnlyList<string> Nodes => Cluster.Silos.Select(s => s.Name).ToList();

    /// <summary>Grain call timeout of the test clusters: long enough for a run queued behind container starts under
    /// load, short enough that a call that hangs fails the test rather than the CI run.</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromMinutes(2);

    public static InProcessTestCluster BuildCluster(short silos, IDictionary<string, string?>? settings = null)
    {
        // Sandboxes left at the end are not waited for when the cluster stops (a drain's default is 30 s).
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["SoulBox:Drain:DeadlineSeconds"] = "0" })
            .AddInMemoryCollection(settings ?? new Dictionary<string, string?>()).Build();
        var builder = new InProcessTestClusterBuilder(silos);
        // Orleans' test default is 30 s per call; a one-shot run that needs a new executor waits behind other tests'
        // container starts on a loaded CI machine and can pass it. Production calls have SoulBoxCluster.CallTimeout.
        builder.ConfigureClient(client => client.Configure<Orleans.Configuration.ClientMessagingOptions>(o => o.ResponseTimeout = CallTimeout));
        builder.ConfigureSilo((options, silo) =>
        {
            silo.Configure<Orleans.Configuration.SiloMessagingOptions>(o => o.ResponseTimeout = CallTimeout);
            // Silo names must be unique per test run: each node reaps containers labelled with its name.
            silo.Configure<Orleans.Configuration.SiloOptions>(o => o.SiloName = $"t{Environment.ProcessId}-{options.SiloName.Replace('_', '-')}");
            silo.AddSoulBoxWorker(configuration);
        });
        return builder.Build();
    }

    public async Task InitializeAsync()
    {
        Cluster = BuildCluster(2);
        await Cluster.DeployAsync();
        SoulBox = ClientFor(Cluster);
    }

    public static ISoulBoxClient ClientFor(InProcessTestCluster cluster) =>
        new ServiceCollection().AddSingleton(cluster.Client).AddSoulBoxClient().BuildServiceProvider().GetRequiredService<ISoulBoxClient>();

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<SoulBoxClusterFixture>
{
    public const string Name = "SoulBox cluster";
}
