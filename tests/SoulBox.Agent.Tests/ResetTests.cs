using System.Text;
using SoulBox.Agent.Protocol;

namespace SoulBox.Agent.Tests;

public sealed class ResetTests(AgentFixture agent) : IClassFixture<AgentFixture>
{
    [Fact]
    public async Task Reset_KillsEveryProcessOfTheSandboxUser_StopsKernels_AndEmptiesWorkAndTmp()
    {
        await using var client = await agent.ConnectAsync();
        await client.CallAsync<FileStatEvent>(new WriteFileRequest("keep/me.txt", false), Encoding.UTF8.GetBytes("x"));
        await client.CallAsync<FileStatEvent>(new WriteFileRequest(Path.Combine(agent.TmpDir, "t.txt"), false), Encoding.UTF8.GetBytes("y"));
        // A daemon that escaped its exec (setsid, output detached) and a running kernel.
        await client.RequestAsync(Events.Shell("setsid sleep 1000 > /dev/null 2>&1 < /dev/null & echo ok"));
        var context = await client.CallAsync<ContextCreatedEvent>(new CreateContextRequest("python", null));
        Assert.NotEmpty(await ExecTests.ProcessesOfAsync(agent.Uid));

        await client.CallAsync<OkEvent>(new ResetRequest());

        Assert.Empty(await ExecTests.ProcessesOfAsync(agent.Uid));
        Assert.Empty(Directory.EnumerateFileSystemEntries(agent.WorkDir));
        Assert.Empty(Directory.EnumerateFileSystemEntries(agent.TmpDir));
        Assert.True(Directory.Exists(agent.WorkDir));
        Assert.Equal(AgentErrorCodes.ContextNotFound,
            (await client.CallAsync<ErrorEvent>(new RunCodeRequest("1", "python", context.ContextId, null, 5000))).Code);

        // The sandbox is usable again right away.
        var exec = await client.RequestAsync(Events.Shell("echo again"));
        Assert.Equal("again\n", exec.Stdout());
    }

    [Fact]
    public async Task Reset_RestoresAWorkDirectoryMadeMode000_AndTheNextRunCanUseIt()
    {
        await using var client = await agent.ConnectAsync();
        Assert.Equal(0, (await client.RequestAsync(Events.Shell("chmod 0 \"$HOME\""))).Terminal<ExitEvent>().ExitCode);
        Assert.Equal((UnixFileMode)0, File.GetUnixFileMode(agent.WorkDir));

        await client.CallAsync<OkEvent>(new ResetRequest());

        Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(agent.WorkDir));
        var again = await client.RequestAsync(Events.Shell("echo fine > f && cat f && stat -c %u .", timeoutMs: 10_000));
        Assert.Equal($"fine\n{agent.Uid}\n", again.Stdout());
        await client.CallAsync<OkEvent>(new ResetRequest());
    }

    [Fact]
    public async Task Reset_RemovesAMode000DirectoryInSharedMemory_AndGivesTheRootsBackTheirModes()
    {
        await using var client = await agent.ConnectAsync();
        var secret = Path.Combine(agent.ShmDir, "secret");
        var made = await client.RequestAsync(Events.Shell(
            $"mkdir {secret} && echo s > {secret}/x && chmod 000 {secret} && ln -s /etc {agent.TmpDir}/etc && mkdir -p {agent.TmpDir}/a/b && chmod 0 {agent.TmpDir}/a"));
        Assert.Equal(0, made.Terminal<ExitEvent>().ExitCode);

        await client.CallAsync<OkEvent>(new ResetRequest());

        Assert.Empty(Directory.EnumerateFileSystemEntries(agent.ShmDir));
        Assert.Empty(Directory.EnumerateFileSystemEntries(agent.TmpDir));
        Assert.True(File.Exists("/etc/passwd"), "the reset followed a symlink out of tmp");
        var sticky = (UnixFileMode)0b1_111_111_111;
        Assert.Equal(sticky, File.GetUnixFileMode(agent.ShmDir));
        Assert.Equal(sticky, File.GetUnixFileMode(agent.TmpDir));
    }

    [Fact]
    public async Task Reset_RemovesTheUsersSysVSharedMemoryMessageQueuesAndSemaphores()
    {
        await using var client = await agent.ConnectAsync();
        var made = await client.RequestAsync(Events.Shell("ipcmk -M 4096 && ipcmk -Q && ipcmk -S 2"));
        Assert.Equal(0, made.Terminal<ExitEvent>().ExitCode);
        Assert.Equal([1, 1, 1], new[] { "shm", "msg", "sem" }.Select(kind => HostileProcesses.CountIpc(kind, agent.Uid)));

        await client.CallAsync<OkEvent>(new ResetRequest());

        Assert.Equal([0, 0, 0], new[] { "shm", "msg", "sem" }.Select(kind => HostileProcesses.CountIpc(kind, agent.Uid)));
    }

    [Fact]
    public async Task Reset_KillsAProcessThatKeepsForkingAndCallingSetsid()
    {
        await using var client = await agent.ConnectAsync();
        // Started from a kernel, which outlives the run: the chaser runs until the reset.
        var started = await client.RequestAsync(new RunCodeRequest(
            $"import subprocess\nsubprocess.Popen(['sh', '-c', {System.Text.Json.JsonSerializer.Serialize(HostileProcesses.ForkChaser)}], start_new_session=True, "
            + "stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n'started'", "python", null, null, 10_000));
        Assert.Equal("'started'", started.Terminal<CodeResultEvent>().Value);
        await Task.Delay(300);
        Assert.True(HostileProcesses.CountLive(agent.Uid) > 0);

        await client.CallAsync<OkEvent>(new ResetRequest(), timeoutSeconds: 30);

        Assert.Equal(0, HostileProcesses.CountLive(agent.Uid));
    }

    [Fact]
    public async Task Exec_TimeoutOfAForkChaser_InALiveSandbox_EndsWithinTheGrace_AsTimedOutOrKillFailed()
    {
        await using var client = await agent.ConnectAsync();
        var events = await client.RequestAsync(Events.Shell($"{HostileProcesses.ForkChaser} & sleep 1000", timeoutMs: 500), timeoutSeconds: 15);

        switch (events[^1].Event)
        {
            case ExitEvent exit:
                Assert.True(exit.TimedOut);
                break;
            case ErrorEvent error:
                Assert.Equal(AgentErrorCodes.KillFailed, error.Code);
                break;
            default:
                Assert.Fail($"Unexpected terminal event {events[^1].Event}");
                break;
        }

        await client.CallAsync<OkEvent>(new ResetRequest(), timeoutSeconds: 30);
        Assert.Equal(0, HostileProcesses.CountLive(agent.Uid));
    }

    [Fact]
    public async Task Stats_AnswersWithoutFailing()
    {
        await using var client = await agent.ConnectAsync();
        var stats = await client.CallAsync<StatsEvent>(new StatsRequest());
        Assert.True(stats.MemoryBytes >= 0);
        Assert.True(stats.CpuTimeMs >= 0);
    }
}
