using System.Diagnostics;
using SoulBox.Agent.Protocol;
using Xunit.Abstractions;

namespace SoulBox.Agent.Tests;

/// <summary>Round-trip timings over the socket; printed to the test output (run with
/// --logger "console;verbosity=detailed" to see them). Bounds are loose, to catch regressions only.</summary>
public sealed class PerformanceTests(AgentFixture agent, ITestOutputHelper output) : IClassFixture<AgentFixture>
{
    [Fact]
    public async Task PrintInAWarmPythonContext_TakesAboutAMillisecondRoundTrip()
    {
        await using var client = await agent.ConnectAsync();
        var context = await client.CallAsync<ContextCreatedEvent>(new CreateContextRequest("python", null));
        var request = new RunCodeRequest("print(\"hi\")", "python", context.ContextId, null, 10_000);
        for (var i = 0; i < 50; i++)
        {
            await client.RequestAsync(request);
        }

        var samples = await MeasureAsync(1000, async () =>
        {
            var events = await client.RequestAsync(request);
            Assert.Equal("hi\n", events.Stdout());
        });
        Report("python print(\"hi\") round trip", samples);
        Assert.True(Median(samples) < 5, $"median {Median(samples):F3} ms");
    }

    [Fact]
    public async Task ExecOfTrue_RoundTrip()
    {
        await using var client = await agent.ConnectAsync();
        var request = Events.Argv("true");
        for (var i = 0; i < 20; i++)
        {
            await client.RequestAsync(request);
        }

        var samples = await MeasureAsync(1000, async () => Assert.Equal(0, (await client.RequestAsync(request)).Terminal<ExitEvent>().ExitCode));
        Report("exec `true` round trip", samples);
        Assert.True(Median(samples) < 50, $"median {Median(samples):F3} ms");
    }

    [Fact]
    public async Task Stats_RoundTrip()
    {
        await using var client = await agent.ConnectAsync();
        var samples = await MeasureAsync(1000, async () => await client.CallAsync<StatsEvent>(new StatsRequest()));
        Report("stats round trip", samples);
    }

    private static async Task<List<double>> MeasureAsync(int count, Func<Task> action)
    {
        var samples = new List<double>(count);
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await action();
            samples.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        return samples;
    }

    private static double Median(List<double> samples) => samples.Order().ElementAt(samples.Count / 2);

    private void Report(string what, List<double> samples)
    {
        var sorted = samples.Order().ToList();
        var line = $"{what}: n={sorted.Count} median={Median(samples):F3} ms p90={sorted[(int)(sorted.Count * 0.9)]:F3} ms p99={sorted[(int)(sorted.Count * 0.99)]:F3} ms";
        output.WriteLine(line);
        Console.WriteLine(line);
        File.AppendAllText(Path.Combine(Path.GetTempPath(), "soulbox-agent-timings.txt"), line + Environment.NewLine);
    }
}
