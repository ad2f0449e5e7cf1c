using Microsoft.Extensions.Configuration;
using Orleans.Configuration;
using Orleans.TestingHost;
using SoulBox.Grains.Hosting;

namespace SoulBox.Client.Tests;

/// <summary>A one-silo cluster whose grain calls time out after <see cref="ResponseTimeout"/> (on the silo and the
/// client) and whose sandboxes run at most two background processes.</summary>
public sealed class ShortTimeoutClusterFixture : IAsyncLifetime
{
    public static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(8);

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public ISoulBoxClient SoulBox { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SoulBox:Drain:DeadlineSeconds"] = "0",
            ["SoulBox:Processes:MaxProcessesPerSandbox"] = "2",
        }).Build();
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((options, silo) =>
        {
            silo.Configure<SiloOptions>(o => o.SiloName = $"t{Environment.ProcessId}-short-{options.SiloName.Replace('_', '-')}");
            silo.AddSoulBoxWorker(configuration);
            silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = ResponseTimeout);
        });
        builder.ConfigureClient(client => client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = ResponseTimeout));
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        SoulBox = SoulBoxClusterFixture.ClientFor(Cluster);
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ShortTimeoutCollection : ICollectionFixture<ShortTimeoutClusterFixture>
{
    public const string Name = "SoulBox cluster with short call timeouts";
}

[Collection(ShortTimeoutCollection.Name)]
public sealed class ProcessLimitsTests(ShortTimeoutClusterFixture fixture)
{
    [Fact]
    public async Task AProcessSilentLongerThanTheResponseTimeout_KeepsItsStream()
    {
        await using var sandbox = await fixture.SoulBox.CreateSandboxAsync();
        var silence = (int)(ShortTimeoutClusterFixture.ResponseTimeout.TotalSeconds * 1.5);

        // Orleans long-polls the grain's enumerator: after half the response timeout with no item it answers a
        // heartbeat and the caller asks again, so the call never times out however long the process is quiet.
        await using var process = await sandbox.Commands.StartAsync($"echo before; sleep {silence}; echo after");
        var outcome = await process.WaitAsync();

        Assert.Equal("before\nafter\n", outcome.Stdout);
        Assert.Equal(0, outcome.Exit.ExitCode);
    }

    [Fact]
    public async Task TheSandboxRunsAtMostItsProcessLimit_AndAnEndedOneFreesItsPlace()
    {
        await using var sandbox = await fixture.SoulBox.CreateSandboxAsync();
        await using var first = await sandbox.Commands.StartAsync("sleep 300");
        await using var second = await sandbox.Commands.StartAsync("sleep 300");

        var refused = await Assert.ThrowsAsync<SoulBoxException>(() => sandbox.Commands.StartAsync("sleep 300"));
        await first.KillAsync();
        await first.WaitAsync();
        await using var third = await sandbox.Commands.StartAsync("echo third");

        Assert.Equal(ErrorCodes.TooManyProcesses, refused.Code);
        Assert.Equal("third\n", (await third.WaitAsync()).Stdout);
        await second.KillAsync();
    }
}
