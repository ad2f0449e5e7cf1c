namespace SoulBox.Client.Tests;

[Collection(ClusterCollection.Name)]
public sealed class FaultTests(SoulBoxClusterFixture fixture)
{
    private ISoulBoxClient SoulBox => fixture.SoulBox;

    [Fact]
    public async Task AContainerKilledFromOutside_MakesTheSandboxReportLost()
    {
        await using var sandbox = await SoulBox.CreateSandboxAsync();
        await using var bystander = await SoulBox.CreateSandboxAsync();

        await DockerCli.RunAsync("kill", sandbox.Info.ContainerId);

        var error = await Assert.ThrowsAsync<SandboxLostException>(() => WhenLostAsync(sandbox));
        Assert.Equal(sandbox.Id, error.SandboxId);
        Assert.Equal("ok\n", (await bystander.RunCodeAsync("print('ok')")).Stdout);
    }

    [Fact]
    public async Task TheAgentProcessDying_IsDetected()
    {
        await using var sandbox = await SoulBox.CreateSandboxAsync();

        await DockerCli.RunAsync("exec", sandbox.Info.ContainerId, "sh", "-c",
            "for p in /proc/[0-9]*; do [ \"$(cat $p/comm)\" = soulbox-agent ] && kill -9 ${p#/proc/}; done");

        await Assert.ThrowsAsync<SandboxLostException>(() => WhenLostAsync(sandbox));
    }

    [Fact]
    public async Task CodeThatKillsEverythingItCan_LeavesTheAgentRunning()
    {
        await using var sandbox = await SoulBox.CreateSandboxAsync();

        // kill(-1) spares the caller on Linux, so the shell kills itself last.
        var result = await sandbox.Commands.RunAsync("sleep 100 & kill -9 -1; kill -9 $$");
        var after = await sandbox.RunCodeAsync("print('agent alive')");

        Assert.Equal(9, result.Signal);
        Assert.Equal("agent alive\n", after.Stdout);
    }

    [Fact]
    public async Task AForkBombHitsItsProcessLimit_AndTheAgentKeepsServing()
    {
        await using var sandbox = await SoulBox.CreateSandboxAsync();

        for (var round = 0; round < 3; round++)
        {
            // The shell forks its sleep before the bomb and waits with a builtin: once the bomb holds every pid, a
            // fork of the shell's own fails and bash retries it with a growing back-off, past the timeout (seen on a
            // loaded machine), which is the pids limit working, not the agent failing.
            var bomb = await sandbox.RunCodeAsync(new CodeRunRequest { Code = "sleep 2 & s=$!; f() { f | f & }; f; wait $s", Language = "bash", TimeoutMs = 10_000 });
            Assert.NotEqual(ExecutionStatus.Timeout, bomb.Status);
        }

        Assert.Equal("ok\n", (await sandbox.Commands.RunAsync("echo ok")).Stdout);
        Assert.Equal("2", (await sandbox.RunCodeAsync("1 + 1")).Value);
    }

    /// <summary>Calls the sandbox until it reports lost (the connection drop reaches the grain asynchronously).</summary>
    private static async Task WhenLostAsync(Sandbox sandbox)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            await sandbox.RunCodeAsync("1");
            await Task.Delay(100);
        }
    }
}
