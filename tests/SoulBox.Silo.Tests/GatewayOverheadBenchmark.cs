using System.Diagnostics;
using SoulBox.Grains;
using Xunit.Abstractions;

namespace SoulBox.Silo.Tests;

/// <summary>Benchmark that only prints (no timing assertions): warm POST /v1/sandboxes/{id}/code of print("hi") over
/// loopback HTTP against the same grain call made directly in the node, interleaved, after a warm-up.
/// Iterations: SOULBOX_BENCH_ITERATIONS (default 300). Run alone with:
/// dotnet test tests/SoulBox.Silo.Tests --filter Category=Benchmark --logger "console;verbosity=detailed"</summary>
[Collection(SiloCollection.Name)]
public sealed class GatewayOverheadBenchmark(SiloFixture node, ITestOutputHelper output)
{
    [Fact]
    [Trait("Category", "Benchmark")]
    public async Task WarmRunCode_HttpVersusGrainCall()
    {
        var iterations = int.TryParse(Environment.GetEnvironmentVariable("SOULBOX_BENCH_ITERATIONS"), out var n) ? n : 300;
        var id = await node.TenantA.CreateSandboxAsync();
        var grain = node.Get<IGrainFactory>().GetGrain<ISandboxGrain>(id);
        var request = new CodeRunRequest { Code = "print(\"hi\")" };
        using var body = new ByteArrayContent("{\"code\":\"print(\\\"hi\\\")\"}"u8.ToArray());
        body.Headers.ContentType = new("application/json");

        var inGateway = new List<double>();
        async Task<double> HttpOnce()
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await node.TenantA.PostAsync($"/v1/sandboxes/{id}/code", body);
            var text = await response.Content.ReadAsStringAsync();
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            Assert.True(response.IsSuccessStatusCode && text.Contains("\"hi\\n\""), text);
            var timing = response.Headers.GetValues("Server-Timing").Single();
            inGateway.Add(double.Parse(timing[(timing.IndexOf('=') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
            return elapsed;
        }

        async Task<double> GrainOnce()
        {
            var started = Stopwatch.GetTimestamp();
            var result = await grain.RunCodeAsync(request);
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            Assert.Equal("hi\n", result.Stdout);
            return elapsed;
        }

        async Task<double> HealthOnce()
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await node.TenantA.GetAsync("/health");
            await response.Content.ReadAsStringAsync();
            return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        for (var i = 0; i < 50; i++)
        {
            await HttpOnce();
            inGateway.Clear();
            await GrainOnce();
            await HealthOnce();
        }

        var http = new List<double>(iterations);
        var direct = new List<double>(iterations);
        var health = new List<double>(iterations);
        for (var i = 0; i < iterations; i++)
        {
            http.Add(await HttpOnce());
            direct.Add(await GrainOnce());
            health.Add(await HealthOnce());
        }

        await node.TenantA.DeleteAsync($"/v1/sandboxes/{id}");
        output.WriteLine($"warm print(\"hi\"), {iterations} interleaved iterations after 50 warm-up pairs:");
        output.WriteLine($"  HTTP POST /v1/sandboxes/{{id}}/code over loopback: median {Percentile(http, 50):F3} ms, p99 {Percentile(http, 99):F3} ms");
        output.WriteLine($"  direct ISandboxGrain.RunCodeAsync in the node:   median {Percentile(direct, 50):F3} ms, p99 {Percentile(direct, 99):F3} ms");
        output.WriteLine($"  baseline GET /health (HTTP stack + client, no grain): median {Percentile(health, 50):F3} ms, p99 {Percentile(health, 99):F3} ms");
        var overhead = http.Zip(inGateway, (total, grain) => total - grain).ToList();
        output.WriteLine($"  the same grain call timed inside the gateway:   median {Percentile(inGateway, 50):F3} ms, p99 {Percentile(inGateway, 99):F3} ms");
        output.WriteLine($"  gateway overhead per request (HTTP total - grain call in the gateway, client included): median {Percentile(overhead, 50):F3} ms, p99 {Percentile(overhead, 99):F3} ms");
        output.WriteLine($"  difference of medians (HTTP - direct): {Percentile(http, 50) - Percentile(direct, 50):F3} ms");
        output.WriteLine($"  load average while measuring: {File.ReadAllText("/proc/loadavg").Trim()}");
    }

    private static double Percentile(List<double> values, double percentile)
    {
        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(percentile / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }
}
