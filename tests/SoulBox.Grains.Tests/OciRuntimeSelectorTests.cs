using Microsoft.Extensions.Logging;
using SoulBox.Grains.Containers;

namespace SoulBox.Grains.Tests;

/// <summary>Which OCI runtime sandbox containers run under: a configured one as given, else crun when the engine has it
/// registered, else the engine's default with a warning; and an automatic crun the engine cannot run is dropped.</summary>
public sealed class OciRuntimeSelectorTests
{
    private const string CrunFailure =
        "Docker API responded with status code=InternalServerError, response={\"message\":\"failed to create shim task: OCI runtime create failed: cgroups in hybrid mode not supported, drop all controllers from cgroupv2: unknown\"}";

    [Fact]
    public async Task Unset_ChoosesCrun_WhenTheEngineHasItRegistered()
    {
        var logger = new RecordingLogger();
        var selector = new OciRuntimeSelector(null, Registered("runc", "crun"), logger);

        Assert.True(selector.IsAutomatic);
        Assert.Equal("crun", await selector.ResolveAsync(CancellationToken.None));
        Assert.Equal([LogLevel.Information], logger.Levels);
    }

    [Fact]
    public async Task Unset_FallsBackToTheEngineDefault_WithAWarning_WhenCrunIsNotRegistered()
    {
        var logger = new RecordingLogger();
        var selector = new OciRuntimeSelector(null, Registered("runc", "io.containerd.runc.v2"), logger);

        Assert.Null(await selector.ResolveAsync(CancellationToken.None));
        var warning = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("crun", warning.Message, StringComparison.Ordinal);
        Assert.Contains("io.containerd.runc.v2, runc", warning.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public async Task EmptySetting_IsUnset(string configured)
    {
        var selector = new OciRuntimeSelector(configured, Registered("runc", "crun"), new RecordingLogger());

        Assert.True(selector.IsAutomatic);
        Assert.Equal("crun", await selector.ResolveAsync(CancellationToken.None));
    }

    [Theory]
    [InlineData("runc")]
    [InlineData("runsc")]
    public async Task ConfiguredRuntime_IsUsedAsGiven_WithoutAskingTheEngine(string configured)
    {
        var selector = new OciRuntimeSelector(configured, _ => throw new InvalidOperationException("the engine was asked"), new RecordingLogger());

        Assert.False(selector.IsAutomatic);
        Assert.Equal(configured, await selector.ResolveAsync(CancellationToken.None));
    }

    [Fact]
    public async Task TheEngineIsAskedOnce_AndAgainOnlyAfterAFailedAsk()
    {
        var asks = 0;
        var selector = new OciRuntimeSelector(null, _ =>
        {
            asks++;
            return asks == 1 ? throw new HttpRequestException("engine not up yet") : Task.FromResult<IReadOnlyCollection<string>>(["runc", "crun"]);
        }, new RecordingLogger());

        await Assert.ThrowsAsync<HttpRequestException>(() => selector.ResolveAsync(CancellationToken.None));
        Assert.Equal("crun", await selector.ResolveAsync(CancellationToken.None));
        Assert.Equal("crun", await selector.ResolveAsync(CancellationToken.None));
        Assert.Equal(2, asks);
    }

    [Fact]
    public async Task CheckOfAConfiguredRuntime_WarnsWhenTheEngineDoesNotListIt()
    {
        var missing = new RecordingLogger();
        await new OciRuntimeSelector("runsc", Registered("runc", "crun"), missing).CheckAsync(CancellationToken.None);
        var listed = new RecordingLogger();
        await new OciRuntimeSelector("runc", Registered("runc", "crun"), listed).CheckAsync(CancellationToken.None);

        var warning = Assert.Single(missing.Entries);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("runsc", warning.Message, StringComparison.Ordinal);
        Assert.Equal([LogLevel.Information], listed.Levels);
    }

    [Fact]
    public async Task AutomaticCrun_MayFallBack_OnlyOnTheEngineErrorsThatNameTheRuntime()
    {
        var selector = new OciRuntimeSelector(null, Registered("runc", "crun"), new RecordingLogger());
        var runtime = await selector.ResolveAsync(CancellationToken.None);

        Assert.True(selector.MayFallBack(runtime, CrunFailure));
        Assert.True(selector.MayFallBack(runtime, "Docker API responded with status code=BadRequest, response={\"message\":\"unknown or invalid runtime name: crun\"}"));
        Assert.False(selector.MayFallBack(runtime, "Docker API responded with status code=NotFound, response={\"message\":\"No such image: soulbox/nope:latest\"}"));
        Assert.False(selector.MayFallBack(runtime, "Docker API responded with status code=Conflict, response={\"message\":\"Conflict. The container name is already in use\"}"));
        Assert.False(selector.MayFallBack(null, CrunFailure));
    }

    [Fact]
    public void ConfiguredRuntime_NeverFallsBack()
    {
        var selector = new OciRuntimeSelector("crun", Registered("runc", "crun"), new RecordingLogger());

        Assert.False(selector.MayFallBack("crun", CrunFailure));
    }

    [Fact]
    public async Task AfterAFallBack_ContainersRunUnderTheEngineDefault_AndItIsLoggedOnce()
    {
        var logger = new RecordingLogger();
        var selector = new OciRuntimeSelector(null, Registered("runc", "crun"), logger);
        Assert.Equal("crun", await selector.ResolveAsync(CancellationToken.None));

        selector.FallBack("crun", CrunFailure);
        selector.FallBack("crun", CrunFailure);

        Assert.Null(await selector.ResolveAsync(CancellationToken.None));
        Assert.Equal([LogLevel.Information, LogLevel.Warning], logger.Levels);
        Assert.Contains("hybrid mode", logger.Entries[1].Message, StringComparison.Ordinal);
    }

    private static Func<CancellationToken, Task<IReadOnlyCollection<string>>> Registered(params string[] runtimes) =>
        _ => Task.FromResult<IReadOnlyCollection<string>>(runtimes);

    private sealed class RecordingLogger : ILogger
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public LogLevel[] Levels => [.. Entries.Select(e => e.Level)];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception)));
    }
}
