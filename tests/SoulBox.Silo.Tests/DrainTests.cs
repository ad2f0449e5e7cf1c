using System.Diagnostics;

namespace SoulBox.Silo.Tests;

/// <summary>Draining a worker node through the admin call, on a node of the test's own (draining is for good).</summary>
public sealed class DrainTests
{
    private const int DeadlineSeconds = 8;

    [Fact]
    public async Task AdminDrain_RefusesNewWork_KeepsSandboxesUntilTheDeadline_ThenEndsThemAsDrained()
    {
        await using var node = OwnNode.Start("draintest", new Dictionary<string, string?>
        {
            ["SoulBox:Drain:DeadlineSeconds"] = DeadlineSeconds.ToString(),
            // The test reads the node after the drain; a real node exits here.
            ["SoulBox:Drain:ExitWhenDrained"] = "false",
            ["SoulBox:Pool:Templates:0"] = "python",
        });
        using var tenant = node.Client(OwnNode.TenantKey);
        using var admin = node.Client(OwnNode.AdminKey);
        using var anonymous = node.Client(null);
        await node.WaitForReadyAsync(HttpStatusCode.OK, TimeSpan.FromSeconds(60));

        var id = await tenant.CreateSandboxAsync();
        Assert.NotEmpty(await ContainersOfNodeAsync());
        using (var before = await tenant.PostJsonAsync($"/v1/sandboxes/{id}/code", new { code = "x = 41\nx + 1" }))
        {
            Assert.Equal("42", (await before.JsonAsync()).GetProperty("value").GetString());
        }

        using (var refused = await anonymous.PostAsync("/admin/nodes/draintest/drain", null))
        {
            await refused.ProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        }

        using (var notANode = await admin.PostAsync("/admin/nodes/nosuchnode/drain", null))
        {
            await notANode.ProblemAsync(HttpStatusCode.NotFound, "node_not_found");
        }

        using (var drain = await admin.PostAsync("/admin/nodes/draintest/drain", null))
        {
            var status = await drain.JsonAsync(HttpStatusCode.Accepted);
            Assert.Equal("draining", status.GetProperty("state").GetString());
            Assert.Equal("admin", status.GetProperty("trigger").GetString());
            Assert.Equal(1, status.GetProperty("sandboxes").GetInt32());
        }

        // Not ready any more, and saying why.
        var ready = await node.WaitForReadyAsync(HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(5));
        Assert.Contains(ready.GetProperty("missing").EnumerateArray(), m => m.GetString()!.StartsWith("draining:", StringComparison.Ordinal));

        // New work is refused with a retry hint (no other worker to place it on).
        using (var create = await tenant.PostJsonAsync("/v1/sandboxes", new { template = "python" }))
        {
            var problem = await create.ProblemAsync(HttpStatusCode.ServiceUnavailable, "no_capacity");
            Assert.Contains("draining", problem.GetProperty("detail").GetString());
            Assert.Equal(TimeSpan.FromSeconds(5), create.Headers.RetryAfter?.Delta);
        }

        using (var execute = await tenant.PostJsonAsync("/v1/execute", new { language = "python", code = "print(1)" }))
        {
            await execute.ProblemAsync(HttpStatusCode.ServiceUnavailable, "no_capacity");
            Assert.NotNull(execute.Headers.RetryAfter);
        }

        // The existing sandbox keeps answering, state and all.
        using (var during = await tenant.PostJsonAsync($"/v1/sandboxes/{id}/code", new { code = "x + 2" }))
        {
            Assert.Equal("43", (await during.JsonAsync()).GetProperty("value").GetString());
        }

        using (var metrics = await anonymous.GetAsync("/metrics"))
        {
            var text = await metrics.Content.ReadAsStringAsync();
            Assert.Contains("soulbox_node_draining{", text);
            Assert.Contains("node=\"draintest\"} 1", text);
            Assert.Contains("soulbox_node_capacity{", text);
        }

        // At the deadline the sandbox ends with reason "drained" and its container goes.
        var waited = Stopwatch.StartNew();
        JsonElement drained;
        while (true)
        {
            using var get = await admin.GetAsync("/admin/nodes/draintest/drain");
            drained = await get.JsonAsync();
            if (drained.GetProperty("state").GetString() == "drained")
            {
                break;
            }

            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(DeadlineSeconds + 20), $"The drain did not finish {DeadlineSeconds} s after it began: {drained}");
            await Task.Delay(250);
        }

        Assert.Equal(1, drained.GetProperty("sandboxesEnded").GetInt32());
        Assert.Equal(0, drained.GetProperty("sandboxes").GetInt32());
        using (var after = await tenant.PostJsonAsync($"/v1/sandboxes/{id}/code", new { code = "x" }))
        {
            var problem = await after.ProblemAsync(HttpStatusCode.Conflict, "sandbox_lost");
            Assert.Contains("drained", problem.GetProperty("detail").GetString());
        }

        // The sandbox's container is gone, and so are the warm ones: a draining node's pool does not refill.
        Assert.Empty(await ContainersOfNodeAsync());

        static async Task<string> ContainersOfNodeAsync() => await DockerAsync("ps", "-aq", "--filter", "label=soulbox.node=draintest");
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
