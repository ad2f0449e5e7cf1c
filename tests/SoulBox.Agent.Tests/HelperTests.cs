using System.Diagnostics;
using System.Text;
using SoulBox.Agent.Protocol;

namespace SoulBox.Agent.Tests;

/// <summary>soulbox-exec itself: the root helper refuses root as the user, and starts with nothing of
/// the caller's environment.</summary>
public sealed class HelperTests(AgentFixture agent) : IClassFixture<AgentFixture>
{
    [Theory]
    [InlineData("run", "--result", "/dev/null", "--uid", "0", "--gid", "1", "--cwd", "/", "--", "true")]
    [InlineData("run", "--result", "/dev/null", "--uid", "1", "--gid", "0", "--cwd", "/", "--", "true")]
    [InlineData("killuser", "--uid", "0", "--gid", "0")]
    [InlineData("reset", "--uid", "0", "--gid", "0", "--work", "/nonexistent", "--tmp", "/nonexistent")]
    public async Task Helper_RefusesRootAsTheSandboxUser(params string[] args)
    {
        var info = new ProcessStartInfo(agent.HelperPath) { RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var helper = Process.Start(info)!;
        var stderr = await helper.StandardError.ReadToEndAsync();
        await helper.WaitForExitAsync();

        Assert.Equal(126, helper.ExitCode);
        Assert.Contains("must name an unprivileged id", stderr);
    }

    [Fact]
    public async Task Exec_TheRootHelperHasAnEmptyEnvironment_AndTheProgramGetsExactlyItsOwn()
    {
        await using var client = await agent.ConnectAsync();
        var request = Events.Shell("echo $PPID; echo \"$FOO\"; sleep 5") with { Env = new() { ["FOO"] = "bar baz" } };
        var (id, events) = await client.SendAsync(request);
        var output = new StringBuilder();
        while (output.ToString().Split('\n').Length < 3)
        {
            output.Append(Encoding.UTF8.GetString((await events.ReadAsync()).Payload));
        }

        var lines = output.ToString().Split('\n');
        var helperPid = int.Parse(lines[0]);
        var helperStatus = await File.ReadAllLinesAsync($"/proc/{helperPid}/status");
        var helperEnvironment = await File.ReadAllBytesAsync($"/proc/{helperPid}/environ");
        await client.CallAsync<OkEvent>(new CancelRequest(id));
        await AgentClient.CollectAsync(events, "cancelled exec");

        Assert.Contains(helperStatus, l => l.StartsWith("Name:", StringComparison.Ordinal) && l.Contains("soulbox-exec"));
        Assert.Empty(helperEnvironment);
        Assert.Equal("bar baz", lines[1]);
    }
}
