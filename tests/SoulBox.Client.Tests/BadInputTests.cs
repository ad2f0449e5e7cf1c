namespace SoulBox.Client.Tests;

[Collection(ClusterCollection.Name)]
public sealed class BadInputTests(SoulBoxClusterFixture fixture)
{
    private ISoulBoxClient SoulBox => fixture.SoulBox;

    [Fact]
    public async Task UnknownTemplate_IsAValidationError()
    {
        var error = await Assert.ThrowsAsync<SandboxValidationException>(() => SoulBox.CreateSandboxAsync(new SandboxCreateOptions { Template = "cobol" }));

        Assert.Equal("template", error.Field);
        Assert.Contains("cobol", error.Message);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(10_000_000)]
    public async Task OutOfRangeLifetime_IsAValidationError(int seconds) =>
        Assert.Equal("timeoutSeconds", (await Assert.ThrowsAsync<SandboxValidationException>(() => SoulBox.CreateSandboxAsync(new SandboxCreateOptions { TimeoutSeconds = seconds }))).Field);

    [Fact]
    public async Task UnknownLanguage_IsAValidationError()
    {
        Assert.Equal("language", (await Assert.ThrowsAsync<SandboxValidationException>(() => SoulBox.ExecuteAsync(new ExecuteRequest { Language = "cobol", Code = "x" }))).Field);
        await using var sandbox = await SoulBox.CreateSandboxAsync();
        Assert.Equal("language", (await Assert.ThrowsAsync<SandboxValidationException>(() => sandbox.RunCodeAsync("x", "cobol"))).Field);
        Assert.Equal("language", (await Assert.ThrowsAsync<SandboxValidationException>(() => sandbox.RunCodeAsync("class A {}", "java"))).Field);
    }

    [Fact]
    public async Task EmptyOrOversizedCode_IsAValidationError()
    {
        await using var sandbox = await SoulBox.CreateSandboxAsync();

        Assert.Equal("code", (await Assert.ThrowsAsync<SandboxValidationException>(() => sandbox.RunCodeAsync("  "))).Field);
        Assert.Equal("code", (await Assert.ThrowsAsync<SandboxValidationException>(() => sandbox.RunCodeAsync(new string('#', 2 * 1024 * 1024)))).Field);
        Assert.Equal("code", (await Assert.ThrowsAsync<SandboxValidationException>(() => SoulBox.ExecuteAsync(new ExecuteRequest { Language = "python", Code = "" }))).Field);
    }

    [Theory]
    [InlineData(-5)]
    [InlineData(0)]
    [InlineData(int.MaxValue)]
    public async Task NegativeOrHugeRunTimeouts_AreValidationErrors(int timeoutMs)
    {
        await using var sandbox = await SoulBox.CreateSandboxAsync();

        Assert.Equal("timeoutMs", (await Assert.ThrowsAsync<SandboxValidationException>(() => sandbox.RunCodeAsync(new CodeRunRequest { Code = "1", TimeoutMs = timeoutMs }))).Field);
        Assert.Equal("runTimeoutMs", (await Assert.ThrowsAsync<SandboxValidationException>(() => SoulBox.ExecuteAsync(new ExecuteRequest { Language = "python", Code = "1", Limits = new ExecutionLimits { RunTimeoutMs = timeoutMs } }))).Field);
    }

    [Theory]
    [InlineData("nosuchnode.abcdefabcdef")]
    [InlineData("malformed-id")]
    public async Task UnknownSandboxIds_AreNotFoundOrLost(string id)
    {
        var error = await Assert.ThrowsAnyAsync<SoulBoxException>(() => SoulBox.ConnectAsync(id));

        Assert.True(error is SandboxNotFoundException or SandboxLostException, error.GetType().Name);
    }

    [Fact]
    public async Task AnUnknownIdOnALiveNode_IsNotFound() =>
        await Assert.ThrowsAsync<SandboxNotFoundException>(() => SoulBox.ConnectAsync($"{fixture.Nodes[0]}.zzzzzzzzzzzz"));

    [Fact]
    public async Task CallsAfterKill_AreTypedErrors()
    {
        var sandbox = await SoulBox.CreateSandboxAsync();
        var attached = await SoulBox.ConnectAsync(sandbox.Id);

        await sandbox.KillAsync();

        await Assert.ThrowsAsync<SandboxKilledException>(() => attached.RunCodeAsync("1"));
        await Assert.ThrowsAsync<SandboxKilledException>(() => attached.Files.ListAsync());
        await sandbox.DisposeAsync();
    }

    [Fact]
    public async Task CallsAfterExpiry_AreTypedErrors_AndTheContainerIsGone()
    {
        var sandbox = await SoulBox.CreateSandboxAsync(new SandboxCreateOptions { TimeoutSeconds = 1 });
        var container = sandbox.Info.ContainerId;

        await Task.Delay(TimeSpan.FromSeconds(3));

        await Assert.ThrowsAsync<SandboxExpiredException>(() => sandbox.RunCodeAsync("1"));
        Assert.Contains("No such", await DockerCli.RunAsync("inspect", container));
    }
}
