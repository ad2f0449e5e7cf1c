namespace SoulBox.E2b.Tests;

/// <summary>e2b 2.51.0: Programs/sandbox.mjs, one base sandbox for commands, files and the sandbox's lifecycle.</summary>
[Collection(E2bCollection.Name)]
public sealed class SandboxTests(E2bNode node)
{
    private const string Program = "sandbox.mjs";

    [Fact]
    public async Task Commands_RunAsUserInHome() => (await node.RunOnceAsync(Program)).AssertSection("user-and-home");

    [Fact]
    public async Task Commands_AsRootRunAsTheSandboxUser() => (await node.RunOnceAsync(Program)).AssertSection("root-user-runs-as-sandbox-user");

    [Fact]
    public async Task Commands_SeeE2bSandboxVariables() => (await node.RunOnceAsync(Program)).AssertSection("e2b-environment");

    [Fact]
    public async Task Commands_TakeEnvsAndCwd() => (await node.RunOnceAsync(Program)).AssertSection("command-envs-and-cwd");

    [Fact]
    public async Task Commands_StreamStdoutAndStderr() => (await node.RunOnceAsync(Program)).AssertSection("command-streams");

    [Fact]
    public async Task Commands_FailingCommandThrowsCommandExitError() => (await node.RunOnceAsync(Program)).AssertSection("failing-command");

    [Fact]
    public async Task Commands_BackgroundCommandTakesStdinIsListedReattachedAndKilled() => (await node.RunOnceAsync(Program)).AssertSection("background-command");

    [Fact]
    public async Task Commands_CloseStdinEndsTheInput() => (await node.RunOnceAsync(Program)).AssertSection("background-close-stdin");

    [Fact]
    public async Task Files_TextIsWrittenAndReadBack() => (await node.RunOnceAsync(Program)).AssertSection("files-text");

    [Fact]
    public async Task Files_BinaryBytesComeBackIdentical() => (await node.RunOnceAsync(Program)).AssertSection("files-binary");

    [Fact]
    public async Task Files_StreamUploadIsSentAsOctetStreamAndComesBackIdentical() => (await node.RunOnceAsync(Program)).AssertSection("files-stream-upload");

    [Fact]
    public async Task Files_SeveralFilesAreWrittenInOneCall() => (await node.RunOnceAsync(Program)).AssertSection("files-several");

    [Fact]
    public async Task Files_ListExistsAndRemove() => (await node.RunOnceAsync(Program)).AssertSection("files-list-exists-remove");

    [Fact]
    public async Task Files_MakeDirAndRename() => (await node.RunOnceAsync(Program)).AssertSection("files-dirs-and-rename");

    [Fact]
    public async Task Files_WatchDirSeesANewFile() => (await node.RunOnceAsync(Program)).AssertSection("files-watch-dir");

    [Fact]
    public async Task Files_ReadingAMissingFileThrowsFileNotFoundError() => (await node.RunOnceAsync(Program)).AssertSection("files-missing");

    [Fact]
    public async Task Sandbox_ConnectsById() => (await node.RunOnceAsync(Program)).AssertSection("connect-by-id");

    [Fact]
    public async Task Sandbox_OtherTenantCannotConnectOrKill() => (await node.RunOnceAsync(Program)).AssertSection("other-tenant");

    [Fact]
    public async Task Sandbox_SetTimeoutMovesTheEnd() => (await node.RunOnceAsync(Program)).AssertSection("set-timeout");

    [Fact]
    public async Task Sandbox_PauseIsRefusedAndTheSandboxKeepsRunning() => (await node.RunOnceAsync(Program)).AssertSection("pause-refused");

    [Fact]
    public async Task Sandbox_IsListedWithTemplateAndMetadata() => (await node.RunOnceAsync(Program)).AssertSection("list");

    [Fact]
    public async Task Sandbox_KilledIsNotRunningAndNotListed() => (await node.RunOnceAsync(Program)).AssertSection("kill-and-is-running");

    [Fact]
    public async Task CurrentSdk_CreatesAndConnectsThroughV2Paths()
    {
        var run = await node.RunOnceAsync(Program);
        var sent = node.RequestsOf("2.51.0");
        Assert.True(sent.Any(r => r is { Method: "POST", Path: "/v2/sandboxes" }), $"e2b 2.51.0 sent no POST /v2/sandboxes.\n{run.Output()}");
        Assert.Contains(sent, r => r.Method == "POST" && r.Path.StartsWith("/v2/sandboxes/", StringComparison.Ordinal) && r.Path.EndsWith("/connect", StringComparison.Ordinal));
        Assert.DoesNotContain(sent, r => r is { Method: "POST", Path: "/sandboxes" });
    }

    [Fact]
    public async Task Program_ExitsZero() => (await node.RunOnceAsync(Program)).AssertExitedZero();
}
