using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SoulBox.Grains;
using SoulBox.Grains.Hosting;

namespace SoulBox.Hostile.Tests;

/// <summary>Findings 3 and 4 of issue 7: oversized one-shot input is refused before it costs a container, and a
/// sweep over memoryMb cannot pile up idle executor containers.</summary>
[Collection(HostileCollection.Name)]
public sealed class OneShotSizeTests(HostileNode node)
{
    private SandboxOptions Options => node.Services.GetRequiredService<IOptions<SandboxOptions>>().Value;

    [Fact]
    public async Task NineMiBOfStdin_Is413NamingTheLimit_AndLeavesNoExecutorBehind()
    {
        var before = await SettledExecutorsAsync();
        var stdin = new string('x', 9 * 1024 * 1024);
        for (var i = 0; i < 5; i++)
        {
            using var response = await node.Attacker.PostAsJsonAsync("/api/v2/execute", new
            {
                language = "python",
                version = "*",
                files = new[] { new { content = "import sys; print(len(sys.stdin.read()))" } },
                stdin,
            });
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();

            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Equal("too_large", body.GetProperty("code").GetString());
            Assert.Equal("stdin", body.GetProperty("field").GetString());
            Assert.Equal(Options.MaxStdinBytes, body.GetProperty("limitBytes").GetInt64());
            Assert.Contains("MaxStdinBytes", body.GetProperty("message").GetString());
        }

        using var args = await node.Attacker.PostAsJsonAsync("/v1/execute", new
        {
            language = "python",
            code = "print(1)",
            args = Enumerable.Repeat(new string('a', 4096), 64).ToArray(),
        });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, args.StatusCode);
        Assert.Equal("args", (await args.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString());

        var client = await Assert.ThrowsAsync<RequestTooLargeException>(() => node.DotNet.ExecuteAsync(new ExecuteRequest { Language = "python", Code = "1", Stdin = stdin }));
        Assert.Equal(Options.MaxStdinBytes, client.LimitBytes);

        Assert.True((await node.ContainersAsync("executor")).Length <= before, "an oversized request left an executor container behind");
        await node.AssertBystanderAnswersAsync();
    }

    [Fact]
    public async Task StdinJustUnderTheLimitStillRuns()
    {
        var stdin = new string('y', Options.MaxStdinBytes - 1);
        using var response = await node.Attacker.PostAsJsonAsync("/v1/execute", new
        {
            language = "python",
            code = "import sys; print(len(sys.stdin.read()))",
            stdin,
        });
        var body = await response.Content.ReadAsStringAsync();

        Assert.True(response.IsSuccessStatusCode, body);
        Assert.Contains($"{Options.MaxStdinBytes - 1}\\n", body);
    }

    [Fact]
    public async Task FortyDistinctMemorySizes_NeverLeaveMoreIdleExecutorsThanTheCap()
    {
        var cap = Options.IdleExecutorsPerNode;
        var grain = node.Services.GetRequiredService<IGrainFactory>().GetGrain<INodeGrain>(node.NodeName);
        var most = 0;
        for (var i = 0; i < 40; i++)
        {
            using var response = await node.Attacker.PostAsJsonAsync("/v1/execute", new
            {
                language = "python",
                code = "print('ok')",
                limits = new { memoryMb = 40 + i * 100 },
            });
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, body);
            Assert.Contains("\"status\":\"ok\"", body);

            var load = await grain.GetLoadAsync();
            most = Math.Max(most, load!.Executors);
            // One run at a time: at most the idle cap plus the one just used (still resetting).
            Assert.True(load.Executors <= cap + 1, $"{load.Executors} executors after {i + 1} runs (cap {cap} idle)");
        }

        // Evicted containers are removed in the background; give that a moment, then count by label.
        var settled = await SettledExecutorsAsync();
        Assert.True(settled <= cap, $"{settled} executor containers of node {node.NodeName} after the sweep; the idle cap is {cap}");
        Assert.True(most >= 2, "the sweep never kept more than one executor, so the cap was not exercised");
        await node.AssertBystanderAnswersAsync();
    }

    [Fact]
    public async Task ARunPastTheMemoryItAskedForIsAMemoryLimitEvenInsideItsBucket()
    {
        // 200 MiB runs in the 256 MiB container; writing 230 MiB is not killed by the kernel but is past the request.
        using var response = await node.Attacker.PostAsJsonAsync("/v1/execute", new
        {
            language = "python",
            code = "b = b'x' * (230 << 20)\nprint(len(b))",
            limits = new { memoryMb = 200 },
        });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("memory_limit", body.GetProperty("status").GetString());
    }

    /// <summary>Executor containers of the node once removals in flight have finished (the count stops changing).</summary>
    private async Task<int> SettledExecutorsAsync()
    {
        var last = -1;
        for (var i = 0; i < 40; i++)
        {
            var now = (await node.ContainersAsync("executor")).Length;
            if (now == last)
            {
                return now;
            }

            last = now;
            await Task.Delay(500);
        }

        return last;
    }
}
