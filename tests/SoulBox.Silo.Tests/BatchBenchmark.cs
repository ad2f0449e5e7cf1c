using System.Diagnostics;
using Xunit.Abstractions;

namespace SoulBox.Silo.Tests;

/// <summary>Benchmark that only prints (no timing assertions): one program against the same 20 test cases, as one
/// batch (POST /v1/execute with cases; parallel as the tenant's share allows, and with maxParallelism 1) and as 20
/// separate one-shot calls (one after another, and all 20 at once), for Python and Go, over loopback HTTP. Go's
/// compile is a cache hit in the warm rounds (a warm-up round compiles it) and a miss in the cold row (a new source
/// each round). Rounds: SOULBOX_BENCH_ROUNDS (default 5). Run alone with:
/// dotnet test tests/SoulBox.Silo.Tests --filter "FullyQualifiedName~BatchBenchmark" --logger "console;verbosity=detailed"</summary>
[Collection(SiloCollection.Name)]
public sealed class BatchBenchmark(SiloFixture node, ITestOutputHelper output)
{
    private const int Cases = 20;

    private const string Python = "a, b = map(int, input().split())\nprint(a + b)  # NONCE";

    private const string Go = """
        package main

        import "fmt"

        // NONCE
        func main() {
            var a, b int
            fmt.Scan(&a, &b)
            fmt.Println(a + b)
        }
        """;

    [Theory]
    [Trait("Category", "Benchmark")]
    [InlineData("python", Python)]
    [InlineData("go", Go)]
    public async Task TwentyCases_OneBatchVersusTwentyOneShotCalls(string language, string template)
    {
        var rounds = int.TryParse(Environment.GetEnvironmentVariable("SOULBOX_BENCH_ROUNDS"), out var n) ? n : 5;
        var code = template.Replace("NONCE", Guid.NewGuid().ToString("N"), StringComparison.Ordinal);
        var inputs = Enumerable.Range(0, Cases).Select(i => (Stdin: $"{i} {i * 7}\n", Expected: $"{i * 8}\n")).ToArray();
        var limits = new { runTimeoutMs = 10_000 };

        async Task Batch(string source, int? maxParallelism)
        {
            var result = await (await node.TenantA.PostJsonAsync("/v1/execute", new
            {
                language,
                code = source,
                limits,
                maxParallelism,
                cases = inputs.Select(c => new { stdin = c.Stdin, expectedOutput = c.Expected }).ToArray(),
            })).JsonAsync();
            Assert.Equal(Cases, result.GetProperty("summary").GetProperty("accepted").GetInt32());
        }

        async Task OneShot(string source, (string Stdin, string Expected) testCase)
        {
            var result = await (await node.TenantA.PostJsonAsync("/v1/execute", new { language, code = source, stdin = testCase.Stdin, limits })).JsonAsync();
            Assert.Equal(testCase.Expected, result.GetProperty("stdout").GetString());
        }

        async Task Sequential(string source)
        {
            foreach (var testCase in inputs)
            {
                await OneShot(source, testCase);
            }
        }

        // Warm-up: executors started, Go's program compiled into the cache.
        await Batch(code, null);
        await Sequential(code);

        var rows = new (string Name, Func<Task> Run)[]
        {
            ("1 batch of 20 (parallel)", () => Batch(code, null)),
            ("1 batch of 20 (maxParallelism 1)", () => Batch(code, 1)),
            ("20 one-shot calls, one after another", () => Sequential(code)),
            ("20 one-shot calls at once", () => Task.WhenAll(inputs.Select(c => OneShot(code, c)))),
            ("1 batch of 20, new source (compile miss)", () => Batch(template.Replace("NONCE", Guid.NewGuid().ToString("N"), StringComparison.Ordinal), null)),
            ("20 one-shot calls one after another, new source", () => Sequential(template.Replace("NONCE", Guid.NewGuid().ToString("N"), StringComparison.Ordinal))),
        };

        var samples = rows.Select(_ => new List<double>()).ToArray();
        for (var round = 0; round < rounds; round++)
        {
            // Interleaved, so a slow moment of the machine falls on every row alike.
            for (var i = 0; i < rows.Length; i++)
            {
                var started = Stopwatch.GetTimestamp();
                await rows[i].Run();
                samples[i].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }

        output.WriteLine($"{language}: {Cases} cases, {rounds} rounds, wall time of the whole request(s) in ms (median / min / max)");
        for (var i = 0; i < rows.Length; i++)
        {
            var sorted = samples[i].Order().ToArray();
            output.WriteLine($"  {rows[i].Name,-50} {sorted[sorted.Length / 2],8:F0} {sorted[0],8:F0} {sorted[^1],8:F0}");
        }
    }
}
