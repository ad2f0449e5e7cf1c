namespace SoulBox.E2b.Tests;

/// <summary>Issue 10, item 5: <c>piston-client</c> 1.0.2 from npm (Programs/piston.mjs, unmodified calls) against a
/// node. It POSTs its JSON body without <c>Content-Type: application/json</c> (node-fetch sends a string as
/// <c>text/plain;charset=UTF-8</c>), which used to be a 415.</summary>
public sealed class PistonClientTests(KeylessNode node) : IClassFixture<KeylessNode>
{
    private const string Program = "piston.mjs";

    [Fact]
    public async Task PistonClient_ListsRuntimes() => (await node.RunOnceAsync(Program)).AssertSection("piston-runtimes");

    [Fact]
    public async Task PistonClient_ExecutesWithStdinAndArgs() => (await node.RunOnceAsync(Program)).AssertSection("piston-execute");

    [Fact]
    public async Task PistonClient_SeesARuntimeErrorsExitCode() => (await node.RunOnceAsync(Program)).AssertSection("piston-runtime-error");

    [Fact]
    public async Task PistonClient_GetsACompileErrorInTheCompileStage() => (await node.RunOnceAsync(Program)).AssertSection("piston-compile-error");

    [Fact]
    public async Task PistonClient_SendsItsBodyAsTextPlain()
    {
        var run = await node.RunOnceAsync(Program);
        var executes = node.Requests.Where(r => r is { Method: "POST", Path: "/api/v2/execute" }).ToList();
        Assert.True(executes.Count > 0, $"piston-client sent no POST /api/v2/execute.\n{run.Output()}");
        Assert.All(executes, r => Assert.StartsWith("text/plain", r.ContentType, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Program_ExitsZero() => (await node.RunOnceAsync(Program)).AssertExitedZero();
}
