using System.Diagnostics;

namespace SoulBox.Silo.Tests;

[Collection(SiloCollection.Name)]
public sealed class StreamingTests(SiloFixture node)
{
    [Fact]
    public async Task Sse_DeliversTheFirstChunkBeforeASlowProgramEnds()
    {
        var id = await node.TenantA.CreateSandboxAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/sandboxes/{id}/code")
        {
            Content = JsonContent.Create(new { code = "import time\nprint('first', flush=True)\ntime.sleep(3)\nprint('last')" }),
        };
        request.Headers.Accept.ParseAdd("text/event-stream");
        var started = Stopwatch.StartNew();
        using var response = await node.TenantA.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        var events = new List<(string Name, string Data, TimeSpan At)>();
        string? name = null;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                events.Add((name!, line["data: ".Length..], started.Elapsed));
            }
        }

        Assert.Equal(["stdout", "stdout", "result", "end"], events.Select(e => e.Name));
        Assert.Equal("first\n", JsonDocument.Parse(events[0].Data).RootElement.GetProperty("text").GetString());
        Assert.True(events[2].At - events[0].At > TimeSpan.FromSeconds(2),
            $"the first chunk came at {events[0].At.TotalMilliseconds:F0} ms, the result at {events[2].At.TotalMilliseconds:F0} ms: the chunk was not streamed");
        Assert.Equal("ok", JsonDocument.Parse(events[2].Data).RootElement.GetProperty("status").GetString());
        await node.TenantA.DeleteAsync($"/v1/sandboxes/{id}");
    }

    [Fact]
    public async Task Sse_OfACommandEndsWithItsResult()
    {
        var id = await node.TenantA.CreateSandboxAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/sandboxes/{id}/commands")
        {
            Content = JsonContent.Create(new { cmd = "echo out; echo err >&2" }),
        };
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await node.TenantA.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("event: stdout\ndata: {\"text\":\"out\\n\"}", text);
        Assert.Contains("event: stderr\ndata: {\"text\":\"err\\n\"}", text);
        Assert.Contains("event: result\n", text);
        Assert.EndsWith("event: end\ndata: {}\n\n", text);
        await node.TenantA.DeleteAsync($"/v1/sandboxes/{id}");
    }

    [Fact]
    public async Task Sse_ForAnUnknownSandboxIsAProblemNotAStream()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/sandboxes/silotest.aaaaaaaaaaaa/code") { Content = JsonContent.Create(new { code = "1" }) };
        request.Headers.Accept.ParseAdd("text/event-stream");
        await (await node.TenantA.SendAsync(request)).ProblemAsync(HttpStatusCode.NotFound, "sandbox_not_found");
    }
}
