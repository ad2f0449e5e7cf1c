using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SoulBox.Client;
using Xunit.Abstractions;

namespace SoulBox.Cluster.Tests.Reaping;

/// <summary>Item 3 of the cluster issue with real processes: a killed worker's containers are removed by the worker
/// that survives it on the same Docker engine, never another cluster's; and a rebuilt image recycles the warm pool.</summary>
[Collection(ClusterSuite.Name)]
public sealed class ReaperTests(ITestOutputHelper output)
{
    private const string NodeLabel = "soulbox.node";
    private const string ClusterLabel = "soulbox.cluster";
    private const string TestLabel = "soulbox.test";
    private const string RunMount = "/run/soulbox";
    private static readonly Dictionary<string, string> PythonOnly = new() { ["SoulBox__Pool__Templates__0"] = "python" };

    private static string Redis => Environment.GetEnvironmentVariable("SOULBOX_TEST_REDIS")
        ?? throw new InvalidOperationException("SOULBOX_TEST_REDIS is not set: run scripts/test.sh, or start redis-server on loopback and set it.");

    private static string NewClusterId() => $"reap-{Guid.NewGuid().ToString("N")[..10]}";

    [Fact]
    public async Task AKilledWorkersContainers_AreRemovedByTheSurvivorOnItsEngine_AndAnotherClustersAreKept()
    {
        var clusterId = NewClusterId();
        var survivor = WorkerProcess.Start($"{clusterId}-a", clusterId, Redis, PythonOnly);
        var victim = WorkerProcess.Start($"{clusterId}-b", clusterId, Redis, PythonOnly);
        IHost? client = null;
        var sandboxes = new List<Sandbox>();
        try
        {
            await DockerCli.WaitUntilAsync(
                async () => (await OfNode(clusterId, survivor)).Count >= 1 && (await OfNode(clusterId, victim)).Count >= 1,
                TimeSpan.FromSeconds(120),
                () => $"both workers up with a warm container\nsurvivor:\n{survivor.Tail()}\nvictim:\n{victim.Tail()}");
            client = await StartClientAsync(o =>
            {
                o.Redis = Redis;
                o.ClusterId = clusterId;
            });
            var soulbox = client.Services.GetRequiredService<ISoulBoxClient>();
            // Live sandboxes on both workers (placement spreads them; a few more tries cover an uneven start).
            for (var i = 0; i < 12 && (sandboxes.Count(s => s.Info.Node == victim.NodeName) < 2 || sandboxes.All(s => s.Info.Node != survivor.NodeName)); i++)
            {
                sandboxes.Add(await soulbox.CreateSandboxAsync());
            }

            Assert.Contains(sandboxes, s => s.Info.Node == victim.NodeName);
            Assert.Contains(sandboxes, s => s.Info.Node == survivor.NodeName);

            // Another cluster's container on this engine, with the victim's name and incarnation: not ours to touch.
            var victimContainers = await OfNode(clusterId, victim);
            var silo = await DockerCli.LabelAsync(victimContainers[0], "soulbox.silo");
            var engine = await DockerCli.LabelAsync(victimContainers[0], "soulbox.engine");
            var foreign = await DockerCli.RunAsync("create", "--network", "none",
                "--label", $"{NodeLabel}={victim.NodeName}", "--label", $"{ClusterLabel}={clusterId}-other",
                "--label", $"soulbox.silo={silo}", "--label", $"soulbox.engine={engine}", "--label", $"{TestLabel}={clusterId}",
                "soulbox/python:latest", "sleep", "600");

            var leases = new List<(string Uid, string Container)>();
            var runDirectories = new List<string>();
            foreach (var container in victimContainers)
            {
                leases.Add((await DockerCli.LabelAsync(container, "soulbox.uid"), await DockerCli.RunAsync("inspect", "--format", "{{.Name}}", container)));
                runDirectories.Add(await DockerCli.RunAsync("inspect", "--format", $"{{{{range .Mounts}}}}{{{{if eq .Destination \"{RunMount}\"}}}}{{{{.Source}}}}{{{{end}}}}{{{{end}}}}", container));
            }

            output.WriteLine($"victim {victim.NodeName}: {victimContainers.Count} containers ({sandboxes.Count(s => s.Info.Node == victim.NodeName)} sandboxes)");

            victim.Kill();
            var took = await DockerCli.WaitUntilAsync(
                async () => (await OfNode(clusterId, victim)).Count == 0,
                TimeSpan.FromSeconds(90),
                () => $"the survivor removing the killed worker's containers\nsurvivor:\n{survivor.Tail()}");
            output.WriteLine($"kill -9 → last container of the dead worker removed: {took.TotalSeconds:F1} s");

            Assert.True(await DockerCli.ExistsAsync(foreign), "another cluster's container was removed");
            // The reaper took only the dead node's containers: the survivor's sandboxes still run.
            Assert.NotEmpty(await OfNode(clusterId, survivor));
            foreach (var sandbox in sandboxes.Where(s => s.Info.Node == survivor.NodeName))
            {
                Assert.True(await DockerCli.ExistsAsync(sandbox.Info.ContainerId), $"the survivor's sandbox container {sandbox.Info.ContainerId[..12]} is gone\n{survivor.Tail(60)}");
                Assert.Equal("2", (await sandbox.RunCodeAsync("1 + 1")).Value);
            }

            foreach (var (uid, container) in leases)
            {
                var lease = Path.Combine(RunMount, "uids", uid);
                Assert.False(File.Exists(lease) && File.ReadAllLines(lease)[0] == container.TrimStart('/'), $"uid lease {uid} of {container} was not freed");
            }

            Assert.All(runDirectories, d => Assert.False(Directory.Exists(d), $"run directory {d} was left"));
            Assert.Contains("dead_node", survivor.Log());
            Assert.All(Reaped(survivor), r => Assert.Equal(victim.NodeName, r.Owner));
        }
        finally
        {
            foreach (var sandbox in sandboxes.Where(s => s.Info.Node == survivor.NodeName))
            {
                try
                {
                    await sandbox.DisposeAsync();
                }
                catch (SoulBoxException)
                {
                    // Already ended (lost with its directory entry on the dead silo).
                }
            }

            if (client is not null)
            {
                await client.StopAsync();
                client.Dispose();
            }

            await survivor.DisposeAsync();
            await victim.DisposeAsync();
            await DockerCli.RemoveAllAsync($"{TestLabel}={clusterId}");
            await DockerCli.RemoveAllAsync($"{ClusterLabel}={clusterId}");
            await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(Redis);
            await redis.GetDatabase().KeyDeleteAsync($"{SoulBoxCluster.ServiceId}/members/{clusterId}");
        }
    }

    [Fact]
    public async Task AWorkerRestartedUnderItsName_KeepsItsNewContainers_WhileThoseOfItsKilledStartAreReaped()
    {
        var clusterId = NewClusterId();
        // The survivor sweeps every 2 s here, so it has many chances to take the new start's containers for the old's.
        var survivor = WorkerProcess.Start($"{clusterId}-a", clusterId, Redis, new Dictionary<string, string>(PythonOnly) { ["SoulBox__Reaper__IntervalSeconds"] = "2" });
        var victim = WorkerProcess.Start($"{clusterId}-b", clusterId, Redis, PythonOnly);
        WorkerProcess? restarted = null;
        try
        {
            await DockerCli.WaitUntilAsync(
                async () => (await OfNode(clusterId, survivor)).Count >= 1 && (await OfNode(clusterId, victim)).Count >= 1,
                TimeSpan.FromSeconds(120),
                () => $"both workers up with a warm container\nsurvivor:\n{survivor.Tail()}\nvictim:\n{victim.Tail()}");
            var old = await OfNode(clusterId, victim);
            var oldSilo = await DockerCli.LabelAsync(old[0], "soulbox.silo");

            victim.Kill();
            var killed = Stopwatch.StartNew();
            restarted = WorkerProcess.Start(victim.NodeName, clusterId, Redis, PythonOnly);
            IReadOnlyList<string> fresh = [];
            await DockerCli.WaitUntilAsync(
                async () =>
                {
                    if ((await Task.WhenAll(old.Select(DockerCli.ExistsAsync))).Any(e => e))
                    {
                        return false;
                    }

                    fresh = await DockerCli.ContainersAsync($"{ClusterLabel}={clusterId}", $"{NodeLabel}={victim.NodeName}");
                    return fresh.Count >= 1;
                },
                TimeSpan.FromSeconds(120),
                () => $"the killed start's containers gone and the new start's warm container up\nsurvivor:\n{survivor.Tail()}\nrestarted:\n{restarted.Tail()}");
            output.WriteLine($"kill -9 → old containers gone, new start warm: {killed.Elapsed.TotalSeconds:F1} s");
            foreach (var container in fresh)
            {
                Assert.NotEqual(oldSilo, await DockerCli.LabelAsync(container, "soulbox.silo"));
            }

            // Watch well past the death declaration (a few seconds with the default membership timing): the survivor
            // learns of it and keeps sweeping, and the new start's containers stay.
            while (killed.Elapsed < TimeSpan.FromSeconds(25))
            {
                await Task.Delay(1000);
            }

            // Whatever the survivor removed was the killed start's; the new start still has its containers.
            Assert.All(Reaped(survivor), r => Assert.Contains(old, o => o.StartsWith(r.Id, StringComparison.Ordinal)));
            foreach (var container in fresh)
            {
                Assert.True(await DockerCli.ExistsAsync(container), $"the restarted node's container {container[..12]} is gone\n{survivor.Tail()}\nrestarted:\n{restarted.Tail()}");
            }
        }
        finally
        {
            await survivor.DisposeAsync();
            await victim.DisposeAsync();
            if (restarted is not null)
            {
                await restarted.DisposeAsync();
            }

            await DockerCli.RemoveAllAsync($"{ClusterLabel}={clusterId}");
            await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(Redis);
            await redis.GetDatabase().KeyDeleteAsync($"{SoulBoxCluster.ServiceId}/members/{clusterId}");
        }
    }

    [Fact]
    public async Task ARebuiltImage_RecyclesTheWarmContainersOfTheOldOne_AndThePoolRefillsFromTheNew()
    {
        var clusterId = NewClusterId();
        // A template of this test's own (its own image prefix), derived from the python one: rebuilding it is a label.
        var prefix = $"soulbox-{clusterId}/";
        var tag = $"{prefix}python:latest";
        var oldImage = await BuildAsync(tag, build: 1);
        var worker = WorkerProcess.Start($"{clusterId}-w", clusterId, redis: null, new Dictionary<string, string>(PythonOnly)
        {
            ["SoulBox__Docker__ImagePrefix"] = prefix,
            ["SoulBox__Pool__MinWarmPerTemplate"] = "2",
        });
        IHost? client = null;
        Sandbox? sandbox = null;
        string? newImage = null;
        try
        {
            await DockerCli.WaitUntilAsync(async () => (await OfImage(clusterId, oldImage)).Count >= 2, TimeSpan.FromSeconds(120),
                () => $"two warm containers of the first build\n{worker.Tail()}");
            var oldWarm = await OfImage(clusterId, oldImage);

            newImage = await BuildAsync(tag, build: 2);
            Assert.NotEqual(oldImage, newImage);
            var took = await DockerCli.WaitUntilAsync(
                async () => !(await Task.WhenAll(oldWarm.Select(DockerCli.ExistsAsync))).Any(e => e) && (await OfImage(clusterId, newImage)).Count >= 2,
                TimeSpan.FromSeconds(90),
                () => $"the old build's warm containers gone and two of the new one\n{worker.Tail()}");
            output.WriteLine($"rebuild → pool recycled and refilled from the new image: {took.TotalSeconds:F1} s");

            client = await StartClientAsync(o =>
            {
                o.GatewayPort = worker.GatewayPort;
                o.ClusterId = clusterId;
            });
            sandbox = await client.Services.GetRequiredService<ISoulBoxClient>().CreateSandboxAsync();
            Assert.True(sandbox.Info.WarmStart);
            Assert.Equal(newImage, await DockerCli.LabelAsync(sandbox.Info.ContainerId, "soulbox.image"));
            Assert.Equal("2", (await sandbox.RunCodeAsync("1 + 1")).Value);
            Assert.Contains("recycling 2 warm containers of the old one", worker.Log());
        }
        finally
        {
            if (sandbox is not null)
            {
                await sandbox.DisposeAsync();
            }

            if (client is not null)
            {
                await client.StopAsync();
                client.Dispose();
            }

            await worker.DisposeAsync();
            await DockerCli.RemoveAllAsync($"{ClusterLabel}={clusterId}");
            foreach (var image in new[] { tag, oldImage, newImage }.OfType<string>())
            {
                try
                {
                    await DockerCli.RunAsync("rmi", "--force", image);
                }
                catch (InvalidOperationException)
                {
                    // Already gone with the tag.
                }
            }
        }
    }

    /// <summary>The containers <paramref name="worker"/>'s reaper logged it removed: short id and owner node.</summary>
    private static IReadOnlyList<(string Id, string Owner)> Reaped(WorkerProcess worker) =>
        [.. worker.Log().Split('\n').Where(l => l.Contains($"Node {worker.NodeName} removed container ", StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf(" removed container ", StringComparison.Ordinal) + " removed container ".Length)..].Split(' '))
            .Select(words => (words[0], words[3].TrimEnd(':')))];

    private static async Task<IReadOnlyList<string>> OfNode(string clusterId, WorkerProcess worker) =>
        await DockerCli.ContainersAsync($"{ClusterLabel}={clusterId}", $"{NodeLabel}={worker.NodeName}");

    /// <summary>The cluster's running warm containers of <paramref name="image"/>.</summary>
    private static async Task<IReadOnlyList<string>> OfImage(string clusterId, string image)
    {
        var ids = await DockerCli.RunAsync("ps", "-q", "--no-trunc", "--filter", $"label={ClusterLabel}={clusterId}",
            "--filter", $"label=soulbox.image={image}", "--filter", "label=soulbox.purpose=warm");
        return ids.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private static async Task<string> BuildAsync(string tag, int build)
    {
        await DockerCli.RunWithInputAsync($"FROM soulbox/python:latest\nLABEL soulbox.test-build={build}\n", "build", "--quiet", "--tag", tag, "-");
        return await DockerCli.RunAsync("image", "inspect", "--format", "{{.Id}}", tag);
    }

    private static async Task<IHost> StartClientAsync(Action<SoulBoxClientOptions> configure)
    {
        var started = Stopwatch.StartNew();
        while (true)
        {
            var builder = Host.CreateApplicationBuilder();
            builder.AddSoulBoxClient(configure);
            var host = builder.Build();
            try
            {
                await host.StartAsync();
                return host;
            }
            catch (Exception) when (started.Elapsed < TimeSpan.FromSeconds(30))
            {
                // The gateway is not listed or not listening yet.
                host.Dispose();
                await Task.Delay(500);
            }
        }
    }
}
