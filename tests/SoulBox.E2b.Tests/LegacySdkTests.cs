namespace SoulBox.E2b.Tests;

/// <summary>The core flow with e2b 2.49.1 (POST /sandboxes, POST /sandboxes/{id}/connect) under
/// @e2b/code-interpreter 2.8.0: Programs/legacy.mjs, one code-interpreter-v1 sandbox.</summary>
[Collection(E2bCollection.Name)]
public sealed class LegacySdkTests(E2bNode node)
{
    private const string Program = "legacy.mjs";

    [Fact]
    public async Task LegacySdk_RunsCode() => (await node.RunOnceAsync(Program, E2bSdks.Legacy)).AssertSection("legacy-run-code");

    [Fact]
    public async Task LegacySdk_RunsCommands() => (await node.RunOnceAsync(Program, E2bSdks.Legacy)).AssertSection("legacy-commands");

    [Fact]
    public async Task LegacySdk_WritesReadsAndListsFiles() => (await node.RunOnceAsync(Program, E2bSdks.Legacy)).AssertSection("legacy-files");

    [Fact]
    public async Task LegacySdk_ConnectsById() => (await node.RunOnceAsync(Program, E2bSdks.Legacy)).AssertSection("legacy-connect");

    [Fact]
    public async Task LegacySdk_KillsTheSandbox() => (await node.RunOnceAsync(Program, E2bSdks.Legacy)).AssertSection("legacy-kill");

    [Fact]
    public async Task LegacySdk_CreatesAndConnectsThroughTheOldPaths()
    {
        var run = await node.RunOnceAsync(Program, E2bSdks.Legacy);
        var sent = node.RequestsOf("2.49.1");
        Assert.True(sent.Any(r => r is { Method: "POST", Path: "/sandboxes" }), $"e2b 2.49.1 sent no POST /sandboxes; it sent:\n{Describe(sent)}\n{run.Output()}");
        Assert.True(sent.Any(r => r.Method == "POST" && r.Path.StartsWith("/sandboxes/", StringComparison.Ordinal) && r.Path.EndsWith("/connect", StringComparison.Ordinal)),
            $"e2b 2.49.1 sent no POST /sandboxes/{{id}}/connect; it sent:\n{Describe(sent)}");
        Assert.DoesNotContain(sent, r => r.Method == "POST" && r.Path.StartsWith("/v2/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Program_ExitsZero() => (await node.RunOnceAsync(Program, E2bSdks.Legacy)).AssertExitedZero();

    private static string Describe(IReadOnlyList<SeenRequest> requests) => string.Join('\n', requests.Select(r => $"{r.Method} {r.Path}").Distinct());
}
