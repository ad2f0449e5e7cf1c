using System.Diagnostics;
using System.Net.Http.Headers;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace SoulBox.Cluster.Tests.State;

/// <summary>Item 2 of the cluster issue with real processes: a worker killed with kill -9 cannot say its sandboxes are
/// gone, so the survivor that sees it declared dead records them as lost in Redis, and their owner gets 409 "lost"
/// with that reason; another tenant still gets 404.</summary>
[Collection(ClusterSuite.Name)]
public sealed class DeadNodeStateTests(ITestOutputHelper output)
{
    private const string KeyA = "state-cluster-key-tenant-a-00000001";
    private const string KeyB = "state-cluster-key-tenant-b-00000002";

    [Fact]
    public async Task TheSandboxesOfAKilledWorker_EndAsLostInTheClusterState_AndTheirOwnerIsToldSo()
    {
        await using var redis = await OwnRedis.StartAsync();
        var run = Guid.NewGuid().ToString("N")[..8];
        var settings = new Dictionary<string, string>
        {
            ["SoulBox__Auth__Keys__" + KeyA] = "tenant-a",
            ["SoulBox__Auth__Keys__" + KeyB] = "tenant-b",
            ["SoulBox__Pool__Templates__0"] = "python",
        };
        await using var survivor = SiloProcess.Start($"st{run}s", "both", redis.Address, settings);
        var victim = SiloProcess.Start($"st{run}v", "worker", redis.Address, settings);
        try
        {
            using var owner = Client(survivor, KeyA);
            using var other = Client(survivor, KeyB);
            var id = await CreateOnAsync(owner, victim.NodeName, () => $"survivor:\n{survivor.Tail()}\nvictim:\n{victim.Tail()}");

            victim.Kill();
            var killed = Stopwatch.StartNew();
            await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Address);
            var db = connection.GetDatabase();
            while ((await db.HashGetAsync($"soulbox:sandbox:{id}", "how")).ToString() != "lost")
            {
                Assert.True(killed.Elapsed < TimeSpan.FromSeconds(120), $"Timed out waiting for the survivor to record {id} as lost\nsurvivor:\n{survivor.Tail()}");
                await Task.Delay(250);
            }

            output.WriteLine($"kill -9 → sandbox recorded lost by the survivor: {killed.Elapsed.TotalSeconds:F1} s");
            Assert.Equal($"its node '{victim.NodeName}' died", (await db.HashGetAsync($"soulbox:sandbox:{id}", "reason")).ToString());
            Assert.False(await db.HashExistsAsync($"soulbox:node:{victim.NodeName}:live", id));

            using var lost = await owner.GetAsync($"/v1/sandboxes/{id}");
            var problem = await lost.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(lost.StatusCode == HttpStatusCode.Conflict, $"Expected 409 but got {(int)lost.StatusCode}: {problem}");
            Assert.Equal(ErrorCodes.SandboxLost, problem.GetProperty("code").GetString());
            Assert.Contains("died", problem.GetProperty("detail").GetString());
            using var hidden = await other.GetAsync($"/v1/sandboxes/{id}");
            Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        }
        finally
        {
            await victim.DisposeAsync();
            // kill -9 left the victim's containers; only a worker on this engine reaps them (another helper's part),
            // so the test removes what it made, by the victim's own node label.
            await RemoveContainersOfAsync(victim.NodeName);
        }
    }

    private static HttpClient Client(SiloProcess silo, string key)
    {
        var client = new HttpClient { BaseAddress = silo.Http, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>Creates sandboxes until one lands on <paramref name="node"/> (placement spreads them once it has
    /// joined); the others are killed again.</summary>
    private static async Task<string> CreateOnAsync(HttpClient client, string node, Func<string> logs)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(120))
        {
            try
            {
                using var created = await client.PostAsJsonAsync("/v1/sandboxes", new { template = "python", timeoutSeconds = 300 });
                if (created.StatusCode == HttpStatusCode.Created)
                {
                    var sandbox = await created.Content.ReadFromJsonAsync<JsonElement>();
                    var id = sandbox.GetProperty("id").GetString()!;
                    if (sandbox.GetProperty("node").GetString() == node)
                    {
                        return id;
                    }

                    (await client.DeleteAsync($"/v1/sandboxes/{id}")).Dispose();
                }
            }
            catch (HttpRequestException)
            {
                // The gateway is still starting.
            }

            await Task.Delay(500);
        }

        throw new TimeoutException($"No sandbox landed on {node} in 120 s\n{logs()}");
    }

    private static async Task RemoveContainersOfAsync(string node)
    {
        var ids = await DockerAsync("ps", "-aq", "--filter", $"label=soulbox.node={node}");
        foreach (var id in ids.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            await DockerAsync("rm", "-f", id);
        }
    }

    private static async Task<string> DockerAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var text = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return text.Trim();
    }
}
