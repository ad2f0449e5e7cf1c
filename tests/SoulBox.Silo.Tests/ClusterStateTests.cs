using Orleans;
using SoulBox.Grains;
using SoulBox.Grains.Pool;
using StackExchange.Redis;

namespace SoulBox.Silo.Tests;

/// <summary>State that outlives a silo, with real Redis, real Orleans (Redis membership, a cluster id of the test's
/// own) and real Docker: nodes are stopped and started again under the same name, as an operator's restart does.</summary>
[Collection(Name)]
public sealed class ClusterStateTests : IAsyncLifetime
{
    public const string Name = "cluster-state";

    private readonly string _clusterId = $"state-{Guid.NewGuid():N}";
    private readonly string _prefix = $"soulbox-test:{Guid.NewGuid():N}:";
    private readonly string _node = $"st{Guid.NewGuid():N}"[..14];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(StateNode.Redis);
        var db = redis.GetDatabase();
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        await foreach (var key in server.KeysAsync(pattern: _prefix + "*"))
        {
            await db.KeyDeleteAsync(key);
        }

        await db.KeyDeleteAsync($"{SoulBoxCluster.ServiceId}/members/{_clusterId}");
    }

    private Task<StateNode> StartAsync(string name, string role = "both") => StateNode.StartAsync(_clusterId, _prefix, name, role);

    [Fact]
    public async Task SandboxesEndedBeforeTheirNodeRestarts_Answer409WithTheirReason_AndOnlyToTheirOwner()
    {
        string killed, lost;
        await using (var node = await StartAsync(_node))
        {
            using var owner = node.Client(StateNode.KeyA);
            killed = await owner.CreateSandboxAsync();
            lost = await owner.CreateSandboxAsync();
            using var kill = await owner.DeleteAsync($"/v1/sandboxes/{killed}");
            Assert.Equal(HttpStatusCode.NoContent, kill.StatusCode);
        }

        await using var restarted = await StartAsync(_node);
        using var a = restarted.Client(StateNode.KeyA);
        using var b = restarted.Client(StateNode.KeyB);

        var wasKilled = await (await a.GetAsync($"/v1/sandboxes/{killed}")).ProblemAsync(HttpStatusCode.Conflict, ErrorCodes.SandboxNotRunning);
        Assert.Contains("was killed", wasKilled.GetProperty("detail").GetString());
        var wasLost = await (await a.PostJsonAsync($"/v1/sandboxes/{lost}/code", new { code = "1 + 1" })).ProblemAsync(HttpStatusCode.Conflict, ErrorCodes.SandboxLost);
        Assert.Contains("deactivated", wasLost.GetProperty("detail").GetString());
        // Once the owner is remembered, the grain itself answers from the cluster state.
        await (await a.PostJsonAsync($"/v1/sandboxes/{killed}/code", new { code = "1 + 1" })).ProblemAsync(HttpStatusCode.Conflict, ErrorCodes.SandboxNotRunning);

        await (await b.GetAsync($"/v1/sandboxes/{killed}")).ProblemAsync(HttpStatusCode.NotFound, ErrorCodes.SandboxNotFound);
        await (await b.DeleteAsync($"/v1/sandboxes/{lost}")).ProblemAsync(HttpStatusCode.NotFound, ErrorCodes.SandboxNotFound);
        await (await a.GetAsync($"/v1/sandboxes/{_node}.aaaaaaaaaaaa")).ProblemAsync(HttpStatusCode.NotFound, ErrorCodes.SandboxNotFound);
    }

    [Fact]
    public async Task ARestartedGateway_LetsTheOwnerIn_AndNobodyElse()
    {
        await using var worker = await StartAsync(_node + "w");
        var gateway = await StartAsync(_node + "g", role: "gateway");
        string id;
        try
        {
            using var owner = gateway.Client(StateNode.KeyA);
            id = await owner.CreateSandboxAsync();
            Assert.StartsWith(_node + "w.", id);
        }
        finally
        {
            await gateway.DisposeAsync();
        }

        gateway = await StartAsync(_node + "g", role: "gateway");
        try
        {
            using var a = gateway.Client(StateNode.KeyA);
            using var b = gateway.Client(StateNode.KeyB);
            await (await b.GetAsync($"/v1/sandboxes/{id}")).ProblemAsync(HttpStatusCode.NotFound, ErrorCodes.SandboxNotFound);
            await (await b.PostJsonAsync($"/v1/sandboxes/{id}/code", new { code = "1 + 1" })).ProblemAsync(HttpStatusCode.NotFound, ErrorCodes.SandboxNotFound);
            var run = await (await a.PostJsonAsync($"/v1/sandboxes/{id}/code", new { code = "1 + 1" })).JsonAsync();
            Assert.Equal("2", run.GetProperty("value").GetString());
            await (await b.DeleteAsync($"/v1/sandboxes/{id}")).ProblemAsync(HttpStatusCode.NotFound, ErrorCodes.SandboxNotFound);
            using var kill = await a.DeleteAsync($"/v1/sandboxes/{id}");
            Assert.Equal(HttpStatusCode.NoContent, kill.StatusCode);
        }
        finally
        {
            await gateway.DisposeAsync();
        }

        await using var again = await StartAsync(_node + "g", role: "gateway");
        using var ownerAgain = again.Client(StateNode.KeyA);
        using var other = again.Client(StateNode.KeyB);
        await (await other.GetAsync($"/v1/sandboxes/{id}")).ProblemAsync(HttpStatusCode.NotFound, ErrorCodes.SandboxNotFound);
        await (await ownerAgain.GetAsync($"/v1/sandboxes/{id}")).ProblemAsync(HttpStatusCode.Conflict, ErrorCodes.SandboxNotRunning);
    }

    [Fact]
    public async Task ARestartedNode_PreWarmsFromTheDemandItLearned()
    {
        await using (var node = await StartAsync(_node))
        {
            using var owner = node.Client(StateNode.KeyA);
            for (var i = 0; i < 5; i++)
            {
                await owner.CreateSandboxAsync();
            }

            Assert.True(node.Get<DemandPredictor>().Snapshot().Templates["python"].CountThisHour >= 5);
        }

        await using (var redis = await ConnectionMultiplexer.ConnectAsync(StateNode.Redis))
        {
            var saved = await redis.GetDatabase().StringGetAsync($"{_prefix}node:{_node}:demand");
            Assert.Contains("\"python\"", saved.ToString());
        }

        await using var restarted = await StartAsync(_node);
        var learned = restarted.Get<DemandPredictor>().Snapshot().Templates["python"];
        Assert.True(learned.CountThisHour + learned.PerHour.Sum() >= 5, "the restarted node took up the saved profile");

        // MinWarmPerTemplate is 0: only the learned demand makes the pool warm python containers.
        var pool = restarted.Get<IGrainFactory>().GetGrain<IPoolManagerGrain>(_node);
        PoolStatus? python = null;
        for (var i = 0; i < 100 && python is not { Target: >= 1 }; i++)
        {
            await Task.Delay(100);
            python = (await pool.GetStatusAsync()).SingleOrDefault(s => s.Template == "python");
        }

        Assert.True(python is { Target: >= 1 }, $"Timed out waiting for the python pool target to rise above 0 (last: {python?.Target}).");
        Assert.True(python!.PredictedPerSecond > 0);
    }
}
