using System.Diagnostics;

namespace SoulBox.Cluster.Tests;

/// <summary>Draining a worker that runs as its own process behind a gateway process (Redis membership, real Docker):
/// on SIGTERM a one-shot run in progress completes and its caller gets the result while sandboxes keep answering until
/// the deadline; on the admin call the worker's sandbox keeps answering until the deadline, then ends as drained, and
/// the worker exits by itself.</summary>
[Collection(ClusterSuite.Name)]
public sealed class DrainTests
{
    private const string TenantKey = "drain-cluster-test-key-tenant-0001";
    private const string AdminKey = "drain-cluster-test-key-admin-00002";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task AtSigterm_ARunInProgressCompletes_AndASandboxKeepsAnswering_ThenTheWorkerExitsLeavingNoContainer()
    {
        await using var redis = await DrainRedis.StartAsync();
        var name = $"drainsig{Environment.ProcessId}";
        await using var worker = StartWorker(name, redis, deadlineSeconds: 12);
        await using var gateway = StartGateway(redis);
        await gateway.WaitForAsync("/ready", HttpStatusCode.OK, StartTimeout);
        using var tenant = gateway.Client(TenantKey);
        using var admin = gateway.Client(AdminKey);
        var sandbox = await CreateSandboxAsync(tenant);

        var run = tenant.PostAsJsonAsync("/v1/execute", new
        {
            language = "python",
            code = "import time\ntime.sleep(6)\nprint('finished after SIGTERM')",
        });
        // Asked of the worker itself (the gateway's load reports count a run as soon as it is placed, before it arrives).
        await WaitAsync(async () => (await OneShotRunsOnAsync(admin, name)) == 1, TimeSpan.FromSeconds(30), "the run to be taken by the worker");
        worker.Terminate();

        // Draining: the gateway stops calling the cluster ready, and new work is refused with a retry hint.
        await gateway.WaitForAsync("/ready", HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(10));
        using (var refused = await tenant.PostAsJsonAsync("/v1/execute", new { language = "python", code = "print(1)" }))
        {
            Assert.True(refused.StatusCode == HttpStatusCode.ServiceUnavailable, $"Expected 503 but got {(int)refused.StatusCode}: {await refused.Content.ReadAsStringAsync()}");
            Assert.NotNull(refused.Headers.RetryAfter);
        }

        // Without the drain the silo's stop would have removed the sandbox's container at SIGTERM.
        using (var call = await tenant.PostAsJsonAsync($"/v1/sandboxes/{sandbox}/code", new { code = "6 * 7" }))
        {
            var text = await call.Content.ReadAsStringAsync();
            Assert.True(call.StatusCode == HttpStatusCode.OK, $"The sandbox did not answer after SIGTERM: {(int)call.StatusCode} {text}");
            Assert.Equal("42", JsonDocument.Parse(text).RootElement.GetProperty("value").GetString());
        }

        using var response = await run;
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"The run in progress at SIGTERM failed: {(int)response.StatusCode} {body}\n{worker.Tail()}");
        var result = JsonDocument.Parse(body).RootElement;
        Assert.Equal("ok", result.GetProperty("status").GetString());
        Assert.Equal("finished after SIGTERM\n", result.GetProperty("stdout").GetString());

        Assert.True(await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)), $"The worker did not exit after its drain:\n{worker.Tail()}");
        Assert.True(worker.ExitCode == 0, $"The worker exited with {worker.ExitCode}:\n{worker.Tail()}");
        Assert.Contains("is draining (shutdown)", worker.Output);
        Assert.Contains("1 sandboxes ended at the deadline", worker.Output);
        Assert.Equal("", await DockerAsync("ps", "-aq", "--filter", $"label=soulbox.node={name}"));
    }

    [Fact]
    public async Task AnAdminDrainThroughTheGateway_KeepsTheSandboxUntilTheDeadline_ThenEndsItAsDrained_AndTheWorkerExits()
    {
        const int deadlineSeconds = 6;
        await using var redis = await DrainRedis.StartAsync();
        var name = $"drainadm{Environment.ProcessId}";
        await using var worker = StartWorker(name, redis, deadlineSeconds);
        await using var gateway = StartGateway(redis);
        await gateway.WaitForAsync("/ready", HttpStatusCode.OK, StartTimeout);
        using var tenant = gateway.Client(TenantKey);
        using var admin = gateway.Client(AdminKey);

        var id = await CreateSandboxAsync(tenant);

        using (var drain = await admin.PostAsync($"/admin/nodes/{name}/drain", null))
        {
            var text = await drain.Content.ReadAsStringAsync();
            Assert.True(drain.StatusCode == HttpStatusCode.Accepted, text);
            var status = JsonDocument.Parse(text).RootElement;
            Assert.Equal("draining", status.GetProperty("state").GetString());
            Assert.Equal(1, status.GetProperty("sandboxes").GetInt32());
        }

        // The sandbox answers until the deadline; the first answer that is not a result is 409 "drained".
        var waited = Stopwatch.StartNew();
        var answered = 0;
        while (true)
        {
            using var call = await tenant.PostAsJsonAsync($"/v1/sandboxes/{id}/code", new { code = "1 + 1" });
            var text = await call.Content.ReadAsStringAsync();
            if (call.StatusCode != HttpStatusCode.OK)
            {
                Assert.True(call.StatusCode == HttpStatusCode.Conflict, $"Expected 409 after the deadline but got {(int)call.StatusCode}: {text}\n{worker.Tail()}\ngateway:\n{gateway.Tail()}");
                Assert.Contains("drained", text);
                break;
            }

            answered++;
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(deadlineSeconds + 30), $"The sandbox still answered {waited.Elapsed.TotalSeconds:F0} s after the drain began.");
            await Task.Delay(200);
        }

        Assert.True(answered > 0, "The sandbox never answered while its node drained.");
        Assert.True(await worker.WaitForExitAsync(TimeSpan.FromSeconds(40)), $"The drained worker did not exit:\n{worker.Tail()}");
        Assert.True(worker.ExitCode == 0, $"The worker exited with {worker.ExitCode}:\n{worker.Tail()}");
        Assert.Contains("is draining (admin)", worker.Output);
        Assert.Equal("", await DockerAsync("ps", "-aq", "--filter", $"label=soulbox.node={name}"));

        // With its worker gone no silo may host the sandbox's grain any more; its owner still hears how it ended.
        using var after = await tenant.PostAsJsonAsync($"/v1/sandboxes/{id}/code", new { code = "1 + 1" });
        var afterText = await after.Content.ReadAsStringAsync();
        Assert.True(after.StatusCode == HttpStatusCode.Conflict, $"After the worker exited: {(int)after.StatusCode} {afterText}\ngateway:\n{gateway.Tail()}");
        Assert.Contains("drained", afterText);
    }

    private static DrainNodeProcess StartWorker(string name, DrainRedis redis, int deadlineSeconds) =>
        DrainNodeProcess.Start(name, "worker", redis.ConnectionString, new Dictionary<string, string>
        {
            ["SoulBox__Drain__DeadlineSeconds"] = deadlineSeconds.ToString(),
            ["SoulBox__Pool__Templates__0"] = "python",
        });

    private static DrainNodeProcess StartGateway(DrainRedis redis) =>
        DrainNodeProcess.Start($"draingw{Environment.ProcessId}", "gateway", redis.ConnectionString, new Dictionary<string, string>
        {
            ["SoulBox__Auth__Keys__" + TenantKey] = "drain",
            ["SoulBox__Auth__AdminKeys__0"] = AdminKey,
            ["SoulBox__Limits__RequestsPerSecond"] = "0",
        });

    private static async Task<string> CreateSandboxAsync(HttpClient tenant)
    {
        using var created = await tenant.PostAsJsonAsync("/v1/sandboxes", new { template = "python", timeoutSeconds = 300 });
        var text = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Created, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
    }

    private static async Task<int> OneShotRunsOnAsync(HttpClient admin, string node) =>
        (await admin.GetFromJsonAsync<JsonElement>($"/admin/nodes/{node}/drain")).GetProperty("oneShotRuns").GetInt32();

    private static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var waited = Stopwatch.StartNew();
        while (!await condition())
        {
            if (waited.Elapsed > timeout)
            {
                throw new TimeoutException($"Waited {timeout.TotalSeconds} s for {what}.");
            }

            await Task.Delay(100);
        }
    }

    private static async Task<string> DockerAsync(params string[] args)
    {
        var start = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"docker {string.Join(' ', args)} failed: {await process.StandardError.ReadToEndAsync()}");
        return output.Trim();
    }
}
