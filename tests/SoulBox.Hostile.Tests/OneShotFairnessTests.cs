using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SoulBox.Grains;
using SoulBox.Grains.Hosting;

namespace SoulBox.Hostile.Tests;

/// <summary>Findings 6 and 7 of issue 7: one tenant's long runs cannot starve another tenant's one-shot runs, an
/// over-share request is told to come back (429 with Retry-After), and a run whose agent stops answering ends
/// within its timeout plus the grace, with its container removed.</summary>
[Collection(HostileCollection.Name)]
public sealed class OneShotFairnessTests(HostileNode node)
{
    private SandboxOptions Options => node.Services.GetRequiredService<IOptions<SandboxOptions>>().Value;

    private INodeGrain Node => node.Services.GetRequiredService<IGrainFactory>().GetGrain<INodeGrain>(node.NodeName);

    [Fact]
    public async Task ATenantWithTwiceTheSlotsOfLongRuns_CannotKeepAnotherTenantFromRunning()
    {
        var slots = Options.MaxConcurrentExecutions;
        using var stop = new CancellationTokenSource();
        var attacks = Enumerable.Range(0, 2 * slots).Select(_ => LongRunAsync(stop.Token)).ToList();
        try
        {
            // Let the attacker take what it can before the bystander arrives.
            await WaitForAsync(async () => (await Node.GetLoadAsync())!.RunningExecutions >= 1, "the attacker's runs to start");
            await Task.Delay(1000);

            var waited = Stopwatch.StartNew();
            using var run = await node.Bystander.PostAsJsonAsync("/api/v2/execute", new
            {
                language = "python",
                version = "*",
                files = new[] { new { content = "print(6 * 7)" } },
            });
            var body = await run.Content.ReadAsStringAsync();
            Assert.True(run.IsSuccessStatusCode, $"bystander: {(int)run.StatusCode} {body}");
            Assert.Contains("42", body);
            Assert.True(waited.Elapsed < TimeSpan.FromMilliseconds(Options.ExecutionQueueTimeoutMs), $"the bystander waited {waited.Elapsed}");

            // The attacker's runs past its share wait at most the queue timeout, then answer 429 with Retry-After.
            var refused = await Task.WhenAny(attacks).WaitAsync(TimeSpan.FromMilliseconds(Options.ExecutionQueueTimeoutMs + 20_000));
            var (status, retryAfter, code) = await refused;
            Assert.Equal(HttpStatusCode.TooManyRequests, status);
            Assert.Equal("tenant_share_exceeded", code);
            Assert.True(retryAfter >= 1, "429 without a Retry-After");
            var share = Math.Max(1, (int)Math.Floor(slots * Options.TenantExecutionShare));
            Assert.True((await Node.GetLoadAsync())!.RunningExecutions <= share, "the attacker alone holds more than its share of the slots");
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(attacks);
        }

        // Cancelled runs give their slots back and their executors are removed.
        await WaitForAsync(async () => (await Node.GetLoadAsync())!.RunningExecutions == 0, "the attacker's cancelled runs to end");
        await node.AssertBystanderAnswersAsync();
    }

    [Fact]
    public async Task ARunWhoseAgentStopsAnswering_EndsAsATimeoutWithinItsGrace_AndItsContainerIsRemoved()
    {
        var marker = $"hostile-pause-{Guid.NewGuid():N}";
        const int runTimeoutMs = 4000;
        var waited = Stopwatch.StartNew();
        var run = node.Attacker.PostAsJsonAsync("/v1/execute", new
        {
            language = "python",
            code = "import time\ntime.sleep(60)",
            args = new[] { marker },
            limits = new { runTimeoutMs },
        });

        // Only this test's container: the executor whose process list shows this run's marker argument.
        var container = "";
        await WaitForAsync(async () => (container = await ContainerRunningAsync(marker)) != "", "the run's executor container");
        try
        {
            await HostileNode.Docker("pause", container);

            using var response = await run;
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("timeout", body.GetProperty("status").GetString());
            var bound = TimeSpan.FromMilliseconds(runTimeoutMs + Options.ExecutionGraceMs + 5000);
            Assert.True(waited.Elapsed < bound, $"the run answered after {waited.Elapsed}, past its timeout + grace ({bound})");

            await WaitForAsync(async () => !(await node.ContainersAsync("executor")).Any(id => container.StartsWith(id, StringComparison.Ordinal)),
                "the unanswering executor container to be removed");
        }
        finally
        {
            if ((await HostileNode.Docker("ps", "-aq", "--no-trunc", "--filter", $"id={container}")).Length > 0)
            {
                await HostileNode.Docker("rm", "-f", container);
            }
        }

        await node.AssertBystanderAnswersAsync();
    }

    /// <summary>One long run of the attacker through the Piston API: its status, Retry-After and error code
    /// (the run is cancelled by <paramref name="stop"/>; a cancelled run reports status 0).</summary>
    private async Task<(HttpStatusCode Status, int RetryAfter, string? Code)> LongRunAsync(CancellationToken stop)
    {
        try
        {
            using var response = await node.Attacker.PostAsJsonAsync("/api/v2/execute", new
            {
                language = "python",
                version = "*",
                files = new[] { new { content = "import time\ntime.sleep(60)" } },
                run_timeout = 90_000,
            }, stop);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>(stop);
            var retryAfter = (int)(response.Headers.RetryAfter?.Delta?.TotalSeconds ?? 0);
            return (response.StatusCode, retryAfter, body.TryGetProperty("code", out var code) ? code.GetString() : null);
        }
        catch (OperationCanceledException)
        {
            // Never resolves as a result in Task.WhenAny's sense: wait for the test to stop it.
            return (0, 0, null);
        }
    }

    private async Task<string> ContainerRunningAsync(string marker)
    {
        foreach (var id in await node.ContainersAsync("executor"))
        {
            if ((await HostileNode.Docker("top", id)).Contains(marker, StringComparison.Ordinal))
            {
                return (await HostileNode.Docker("inspect", "--format", "{{.Id}}", id)).Trim();
            }
        }

        return "";
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException($"Waited 30 s for {what}.");
            }

            await Task.Delay(100);
        }
    }
}
