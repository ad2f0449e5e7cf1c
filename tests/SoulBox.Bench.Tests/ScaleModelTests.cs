using SoulBox.Bench.Measurement;
using SoulBox.Bench.Planning;
using SoulBox.Bench.Results;
using SoulBox.Bench.Scale;

namespace SoulBox.Bench.Tests;

/// <summary>The scale scenario's pure logic: the scale-out capacity model, the headroom flags, the Orleans counter
/// reading and the command line.</summary>
public sealed class ScaleModelTests
{
    private static ScalePoint Point(int workers, double rps, double gatewaySeconds, double siloSeconds, double sandboxSeconds, double redisCommands, long redisBytes) => new()
    {
        Workers = workers,
        Rps = rps,
        Resources = new ScaleResources
        {
            WindowSeconds = 10, GatewayCpuSeconds = gatewaySeconds, WorkerSiloCpuSeconds = siloSeconds, SandboxCpuSeconds = sandboxSeconds,
        },
        Redis = new RedisFigures { CommandsPerSecond = redisCommands, ClusterKeyBytes = redisBytes },
        GatewayOrleansPerRequest = new() { ["orleans_messaging_sent_messages_size_bytes_count"] = 1.5, ["orleans_directory_lookups_cache_issued_total"] = 2, ["orleans_directory_lookups_cache_successes_total"] = 1.9 },
    };

    private static ScaleResults Results() => new()
    {
        Run = new RunInfo { Cores = 2 },
        Settings = new ScaleSettings { WorkerCpus = 0.1, Transport = "http" },
        Points =
        [
            // 1000 requests: gateway 2 ms, worker host 1.5 + 0.5 = 2 ms each; Redis 0.5 command/s and 512 bytes per silo (2 silos).
            Point(1, rps: 100, gatewaySeconds: 2, siloSeconds: 1.5, sandboxSeconds: 0.5, redisCommands: 1, redisBytes: 1024),
            // 1800 requests, same costs; 3 silos.
            Point(2, rps: 180, gatewaySeconds: 3.6, siloSeconds: 2.7, sandboxSeconds: 0.9, redisCommands: 1.5, redisBytes: 1536),
        ],
        Ratio2To1 = 1.8,
    };

    [Fact]
    public void ScaleOut_ProjectsHostsFromPerRequestCosts_AndCountsGatewaysRedisAndMembership()
    {
        var model = CapacityPlanner.ProjectScaleOut(Results(), hosts: [1, 4]);

        Assert.Equal(100, model.PerWorkerRps, 6);
        Assert.Equal(0.9, model.PerDoublingEfficiency, 6);          // (180 / 2) / 100 over one doubling
        Assert.Equal(2, model.WorkerHostCpuMsPerRequest, 6);
        Assert.Equal(2, model.GatewayCpuMsPerRequest, 6);
        Assert.Equal(500, model.GatewayRpsPerCore, 6);              // 1000 ms / 2 ms
        var hostRps = 2 / CapacityPlanner.CpuHeadroom * 1000 / 2;   // 2 cores at 1/1.3 busy, 2 ms a request
        Assert.Equal(hostRps, model.HostRps, 6);
        Assert.Equal(0.5, model.RedisCommandsPerSiloPerSecond, 6);
        Assert.Equal(512, model.MembershipBytesPerSilo, 6);
        Assert.Equal(1.5, model.GatewayMessagesPerRequest, 6);

        var four = Assert.Single(model.Rows, r => r.Hosts == 4);
        Assert.Equal(4 * hostRps, four.LinearRps, 6);
        Assert.Equal(4 * hostRps * 0.9 * 0.9, four.DerivedRps, 6);   // the measured efficiency at each of two doublings
        Assert.Equal(4 * hostRps * 2 / 1000 * CapacityPlanner.CpuHeadroom, four.GatewayCores, 6);
        Assert.Equal(4, four.Gateways);                              // 8 gateway cores on 2-core hosts
        Assert.Equal(8 * 0.5, four.RedisCommandsPerSecond, 6);       // 4 workers + 4 gateways
        Assert.Equal(8 * 0.5, four.MembershipTableKb, 6);
        Assert.Equal(8 * 8 * 0.5, four.MembershipReadKbPerChange, 6); // every silo re-reads the whole table
        Assert.Equal(8 * 7 / 10.0, four.ProbesPerSecond, 6);

        Assert.Contains(model.Limits, l => l.StartsWith("Gateway CPU: 2.00 ms per request, so one gateway core routes 500 req/s", StringComparison.Ordinal));
        Assert.Contains(model.Limits, l => l.StartsWith("Redis membership: 0.50 commands/s per silo", StringComparison.Ordinal));
        Assert.Contains(model.Limits, l => l.Contains("2.00 grain-directory lookups per request, 95.0 %", StringComparison.Ordinal));
        Assert.Contains(model.Caveats, c => c.Contains("efficiency 90 %", StringComparison.Ordinal));

        var text = CapacityPlanner.FormatScaleOut(model);
        Assert.Contains("ratio 2 ÷ 1 workers 1.80×", text, StringComparison.Ordinal);
        Assert.Contains("| 4 |", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ScaleOut_SizesTheMembershipTableFromItsOwnKey_WhenMeasured()
    {
        var results = Results();
        results.Points = [.. results.Points.Select(p => p with { Redis = p.Redis with { MembershipBytes = 300 * (p.Workers + 1) } })];

        Assert.Equal(300, CapacityPlanner.ProjectScaleOut(results, [1]).MembershipBytesPerSilo, 6); // not the 512 of every key
    }

    [Fact]
    public void ScaleOut_RefusesResultsWithoutRequests()
    {
        Assert.Throws<InvalidOperationException>(() => CapacityPlanner.ProjectScaleOut(new ScaleResults(), [1]));
    }

    [Fact]
    public void Headroom_FlagsBusyProcessesABusyMachineAndUnsaturatedBudgets_Only()
    {
        var point = new ScalePoint
        {
            Workers = 2,
            Resources = new ScaleResources
            {
                MachineCpuPercent = 95,
                Processes = [new("gw", "gateway", 17, 85, 99), new("w1", "worker", 5, 25, 30)],
                Budgets = [new("w1", "/a", 0.1, 0.95, 95, 60), new("w2", "/b", 0.1, 0.5, 50, 0)],
            },
        };

        var flags = ScaleAnalysis.HeadroomFlags(point, limitPercentOfCore: 80).ToList();

        Assert.Equal(3, flags.Count);
        Assert.Contains(flags, f => f.Contains("gw (gateway) used 85 %", StringComparison.Ordinal));
        Assert.Contains(flags, f => f.Contains("machine was 95 %", StringComparison.Ordinal));
        Assert.Contains(flags, f => f.Contains("sandboxes of w2 used only 50 %", StringComparison.Ordinal));
    }

    [Fact]
    public void OrleansCounters_SumLabelSets_SkipBucketsAndOtherMeters_AndGiveRoutingPerRequest()
    {
        const string before = """
            # TYPE orleans_directory_lookups_cache_issued_total counter
            orleans_directory_lookups_cache_issued_total{silo="a"} 10
            orleans_directory_lookups_cache_successes_total 9
            orleans_messaging_sent_messages_size_bytes_bucket{le="1"} 5
            orleans_messaging_sent_messages_size_bytes_count 20
            soulbox_executions_total 3
            """;
        const string after = """
            orleans_directory_lookups_cache_issued_total{silo="a"} 20
            orleans_directory_lookups_cache_issued_total{silo="b"} 10
            orleans_directory_lookups_cache_successes_total 27
            orleans_messaging_sent_messages_size_bytes_bucket{le="1"} 500
            orleans_messaging_sent_messages_size_bytes_count 50
            soulbox_executions_total 300
            """;

        var parsed = OrleansCounters.Parse(after);
        Assert.Equal(30, parsed["orleans_directory_lookups_cache_issued_total"]);
        Assert.DoesNotContain(parsed.Keys, k => k.EndsWith("_bucket", StringComparison.Ordinal) || k.StartsWith("soulbox_", StringComparison.Ordinal));

        var perRequest = OrleansCounters.PerRequest(OrleansCounters.Parse(before), parsed, requests: 10);
        var routing = OrleansCounters.Routing(perRequest);
        Assert.Equal(2, routing.DirectoryLookups, 6);
        Assert.Equal(90, routing.DirectoryCacheHitPercent!.Value, 6); // 18 cache hits of 20 lookups
        Assert.Equal(3, routing.MessagesSent, 6);
    }

    [Fact]
    public void Options_HaveDefaults_QuickShrinksThem_AndBadValuesAreRefused()
    {
        var defaults = ScaleOptions.Parse([]);
        Assert.Equal([1, 2], defaults.Workers);
        Assert.Equal("http", defaults.Transport);

        var quick = ScaleOptions.Parse(["--quick", "--workers", "2,1,2", "--worker-cpu", "0.05"]);
        Assert.True(quick.Quick);
        Assert.Equal([1, 2], quick.Workers);
        Assert.Equal(0.05, quick.WorkerCpus);
        Assert.True(quick.Window < defaults.Window);

        Assert.Throws<ArgumentException>(() => ScaleOptions.Parse(["--workers", "0"]));
        Assert.Throws<ArgumentException>(() => ScaleOptions.Parse(["--worker-cpu", "-1"]));
        Assert.Throws<ArgumentException>(() => ScaleOptions.Parse(["--transport", "smoke-signals"]));
        Assert.Throws<ArgumentException>(() => ScaleOptions.Parse(["--bogus"]));
    }
}
