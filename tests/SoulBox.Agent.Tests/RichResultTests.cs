using System.Text;
using System.Text.Json;
using SoulBox.Agent.Protocol;
using SoulBox.Agent.Worker;

namespace SoulBox.Agent.Tests;

/// <summary>Rich results of the Python kernel through the agent: display(), the last expression's representations,
/// and the bounds on what a result may carry. Figures and DataFrames need matplotlib and pandas, which only the
/// code-interpreter image has: those are in SoulBox.Silo.Tests (RichResultApiTests).</summary>
public sealed class RichResultTests(AgentFixture agent) : IClassFixture<AgentFixture>
{
    private const string HtmlClass = "class Bold:\n    def _repr_html_(self):\n        return '<b>hi</b>'\n    def __repr__(self):\n        return 'Bold()'\n";

    private static RunCodeRequest Python(string code, string? contextId = null) => new(code, "python", contextId, null, 10_000);

    private static Dictionary<string, string> Data(Received received) =>
        JsonSerializer.Deserialize(received.Payload, AgentJsonContext.Default.DictionaryStringString)!;

    [Fact]
    public async Task Display_OfAnObjectWithReprHtml_StreamsAResultInItsPlaceAmongThePrints()
    {
        await using var client = await agent.ConnectAsync();
        var events = await client.RequestAsync(Python(HtmlClass + "print('before')\ndisplay(Bold())\nprint('after')"));

        var kinds = events.Select(e => e.Event switch
        {
            OutputEvent o when o.Stream == OutputStream.Stdout => "out:" + Encoding.UTF8.GetString(e.Payload),
            ResultEvent => "result",
            CodeResultEvent => "end",
            var other => other.GetType().Name,
        }).ToList();
        Assert.Equal(["out:before\n", "result", "out:after\n", "end"], kinds);
        var display = Data(events.Single(e => e.Event is ResultEvent));
        Assert.Equal("<b>hi</b>", display["text/html"]);
        Assert.Equal("Bold()", display["text/plain"]);
        var end = events.Terminal<CodeResultEvent>();
        Assert.Null(end.Value);
        Assert.Null(end.Data);
    }

    [Fact]
    public async Task LastExpression_GetsEveryRepresentationItHas_ImagesBase64()
    {
        await using var client = await agent.ConnectAsync();
        var code = HtmlClass + "class Rich(Bold):\n    def _repr_markdown_(self):\n        return '*hi*'\n    def _repr_png_(self):\n        return b'\\x89PNG\\r\\n\\x1a\\n'\n    def _repr_json_(self):\n        return {'a': [1, 2]}\n    def _repr_latex_(self):\n        return None\nRich()";
        var end = (await client.RequestAsync(Python(code))).Terminal<CodeResultEvent>();

        Assert.Null(end.Error);
        Assert.Equal("Bold()", end.Value);
        Assert.NotNull(end.Data);
        Assert.Equal("<b>hi</b>", end.Data["text/html"]);
        Assert.Equal("*hi*", end.Data["text/markdown"]);
        Assert.Equal(Convert.ToBase64String([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0d, 0x0a, 0x1a, 0x0a]), end.Data["image/png"]);
        Assert.Equal("{\"a\": [1, 2]}", end.Data["application/json"]);
        Assert.False(end.Data.ContainsKey("text/latex")); // None means "no such representation"
        Assert.False(end.Data.ContainsKey("text/plain")); // that is Value
    }

    [Fact]
    public async Task PlainValues_HaveOnlyTheirRepr_AndNoDisplayEvents()
    {
        await using var client = await agent.ConnectAsync();
        var events = await client.RequestAsync(Python("x = [1, 'a']\nx"));
        Assert.DoesNotContain(events, e => e.Event is ResultEvent);
        var end = events.Terminal<CodeResultEvent>();
        Assert.Equal("[1, 'a']", end.Value);
        Assert.Null(end.Data);
        Assert.Equal("2", (await client.RequestAsync(Python("1 + 1"))).Terminal<CodeResultEvent>().Value);
    }

    [Fact]
    public async Task Display_Raw_And_ReprMimebundle_AreHonoured()
    {
        await using var client = await agent.ConnectAsync();
        var events = await client.RequestAsync(Python(
            "class Bundle:\n    def _repr_mimebundle_(self, include=None, exclude=None):\n        return {'text/html': '<i>b</i>', 'text/plain': 'bundle'}\n" +
            "display(Bundle())\ndisplay({'image/svg+xml': '<svg/>', 'text/plain': 'svg'}, raw=True)"));
        var results = events.Where(e => e.Event is ResultEvent).Select(Data).ToList();
        Assert.Equal(2, results.Count);
        Assert.Equal("<i>b</i>", results[0]["text/html"]);
        Assert.Equal("bundle", results[0]["text/plain"]);
        Assert.Equal("<svg/>", results[1]["image/svg+xml"]);
    }

    [Fact]
    public async Task AHugeRepresentation_IsDroppedWithANoteNamingTheLimit()
    {
        await using var client = await agent.ConnectAsync();
        var events = await client.RequestAsync(Python(
            "class Huge:\n    def _repr_png_(self):\n        return b'x' * 3_000_000\n    def __repr__(self):\n        return 'Huge()'\ndisplay(Huge())\n'done'"));
        var display = Data(events.Single(e => e.Event is ResultEvent));
        Assert.Equal(["text/plain"], display.Keys);
        Assert.Contains($"image/png representation of a display output (4000000 bytes) was dropped: one result may be at most {AgentProtocol.MaxResultBytes} bytes", events.Stderr());
        Assert.Equal("'done'", events.Terminal<CodeResultEvent>().Value);
    }

    [Fact]
    public async Task ForgedResultLines_PastTheAgentsLimits_AreDroppedNotForwarded()
    {
        // User code can write result lines itself (it can read the nonce); the agent holds them to the same bounds.
        await using var client = await agent.ConnectAsync();
        var events = await client.RequestAsync(Python(
            "import __main__, os\n" +
            "line = __main__.marker + b'%d=' % __main__.current_turn + b'{\"text/plain\": \"' + b'x' * 3_000_000 + b'\"}\\n'\n" +
            "__main__.write_all(__main__.out_fd, line)\n" +
            "small = __main__.marker + b'%d=' % __main__.current_turn + b'{\"text/plain\": \"' + b'y' * 1_500_000 + b'\"}\\n'\n" +
            "for _ in range(6):\n    __main__.write_all(__main__.out_fd, small)\n7"));
        var results = events.Where(e => e.Event is ResultEvent).ToList();
        Assert.All(results, r => Assert.True(r.Payload.Length <= AgentProtocol.MaxResultBytes));
        Assert.True(results.Sum(r => (long)r.Payload.Length) <= AgentProtocol.MaxRunResultBytes);
        Assert.Equal(5, results.Count); // 5 × ~1.5 MB fit in 8 MiB, the sixth does not
        Assert.Contains($"one result may be at most {AgentProtocol.MaxResultBytes} bytes", events.Stderr());
        Assert.Contains($"a run's results may be at most {AgentProtocol.MaxRunResultBytes} bytes together", events.Stderr());
        Assert.Equal("7", events.Terminal<CodeResultEvent>().Value);
    }

    [Fact]
    public async Task Node_LastValue_IsTextPlainAndJsonForPlainData()
    {
        await using var client = await agent.ConnectAsync();
        var plain = (await client.RequestAsync(new RunCodeRequest("({a: [1, 2], b: 'x'})", "javascript", null, null, 10_000))).Terminal<CodeResultEvent>();
        Assert.Equal("{ a: [ 1, 2 ], b: 'x' }", plain.Value);
        Assert.Equal("{\"a\":[1,2],\"b\":\"x\"}", plain.Data?["application/json"]);
        var map = (await client.RequestAsync(new RunCodeRequest("new Map([[1, 2]])", "javascript", null, null, 10_000))).Terminal<CodeResultEvent>();
        Assert.Equal("Map(1) { 1 => 2 }", map.Value);
        Assert.Null(map.Data);
    }

    [Fact]
    public void Scanner_TellsResultLinesFromTheEndOfRun_AndBoundsThemTheSameWay()
    {
        var marker = Encoding.ASCII.GetBytes("\u001e\u001fsoulbox:N\u001f");
        var scanner = new KernelOutputScanner(marker, maxReplyBytes: 64);
        var items = scanner.Feed([
            .. "a"u8, .. marker, .. "3={\"text/plain\": \"x\"}\n"u8,
            .. "b"u8, .. marker, .. "3="u8, .. new byte[100], .. "\n"u8,
            .. marker, .. "3:{\"value\": null}\n"u8]);

        Assert.Equal(["a", "b"], items.Where(i => !i.IsMarker).Select(i => Encoding.ASCII.GetString(i.Output.Span)));
        var markers = items.Where(i => i.IsMarker).ToList();
        Assert.Equal([true, true, false], markers.Select(m => m.IsResult));
        Assert.All(markers, m => Assert.Equal(3, m.Turn));
        Assert.Equal("{\"text/plain\": \"x\"}", Encoding.ASCII.GetString(markers[0].Reply!));
        Assert.True(markers[1].ReplyTooLarge);
        Assert.Null(markers[1].Reply);
        Assert.Equal("{\"value\": null}", Encoding.ASCII.GetString(markers[2].Reply!));
    }
}
