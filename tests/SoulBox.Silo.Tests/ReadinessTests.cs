namespace SoulBox.Silo.Tests;

/// <summary>/ready says whether the node can start a sandbox, and what is missing when it cannot.</summary>
public sealed class ReadinessTests
{
    [Fact]
    public async Task ANodeWithoutItsAgent_IsNotReady_AndSaysTheAgentIsMissing()
    {
        var empty = Directory.CreateTempSubdirectory("soulbox-noagent-");
        try
        {
            await using var node = OwnNode.Start("noagenttest", new Dictionary<string, string?>
            {
                ["SoulBox:Docker:AgentDirectory"] = empty.FullName,
                ["SoulBox:Drain:DeadlineSeconds"] = "0",
            });
            using var anonymous = node.Client(null);
            // Give the node the time a working one needs to become ready: it must still say no, and why.
            await Task.Delay(TimeSpan.FromSeconds(3));
            using var response = await anonymous.GetAsync("/ready");
            var body = await response.JsonAsync(HttpStatusCode.ServiceUnavailable);
            Assert.Equal("unhealthy", body.GetProperty("status").GetString());
            var missing = body.GetProperty("missing").EnumerateArray().Select(m => m.GetString()!).ToList();
            Assert.Contains(missing, m => m.StartsWith("agent: ", StringComparison.Ordinal) && m.Contains(empty.FullName) && m.Contains("soulbox-agent"));
            Assert.Contains(missing, m => m.StartsWith("containers: ", StringComparison.Ordinal));
            Assert.Equal(2, missing.Count);

            // /health still says the process answers: liveness is not readiness.
            using var health = await anonymous.GetAsync("/health");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task AWorkingNode_IsReady_OnceItHasStartedAContainer()
    {
        await using var node = OwnNode.Start("readytest", new Dictionary<string, string?>
        {
            ["SoulBox:Pool:Templates:0"] = "python",
            ["SoulBox:Drain:DeadlineSeconds"] = "0",
        });
        var body = await node.WaitForReadyAsync(HttpStatusCode.OK, TimeSpan.FromSeconds(60));
        Assert.Equal("healthy", body.GetProperty("status").GetString());
        Assert.Empty(body.GetProperty("missing").EnumerateArray());
        Assert.Contains("readytest", body.GetProperty("checks").GetProperty("cluster").GetProperty("description").GetString());
    }
}
