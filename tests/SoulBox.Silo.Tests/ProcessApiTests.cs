using System.Net.Http.Headers;
using System.Text;

namespace SoulBox.Silo.Tests;

/// <summary>The REST API of background processes, on a real node with real containers.</summary>
[Collection(SiloCollection.Name)]
public sealed class ProcessApiTests(SiloFixture node)
{
    [Fact]
    public async Task StartWithSse_StreamsStartedOutputExitAndEnd()
    {
        var id = await node.TenantA.CreateSandboxAsync();

        await using var stream = await SseStream.OpenAsync(node.TenantA, HttpMethod.Post, $"/v1/sandboxes/{id}/processes", new { cmd = "echo hi; echo oops >&2; exit 4" });
        var events = await stream.ReadToEndAsync();

        // Stdout and stderr are separate pipes: their events may come in either order.
        Assert.Equal(5, events.Count);
        Assert.Equal(["started", "exit", "end"], events.Select(e => e.Name).Where(n => n is not ("stdout" or "stderr")));
        Assert.True(events[0].Data.GetProperty("pid").GetInt32() > 0);
        Assert.Equal("hi\n", Assert.Single(events, e => e.Name == "stdout").Data.GetProperty("text").GetString());
        Assert.Equal("oops\n", Assert.Single(events, e => e.Name == "stderr").Data.GetProperty("text").GetString());
        Assert.Equal(4, events[3].Data.GetProperty("exitCode").GetInt32());
        Assert.False(events[3].Data.GetProperty("timedOut").GetBoolean());
        await node.TenantA.DeleteAsync($"/v1/sandboxes/{id}");
    }

    [Fact]
    public async Task StartWithoutSse_Answers201WithThePid_ThenListStdinAttachAndClose()
    {
        var id = await node.TenantA.CreateSandboxAsync();
        using var started = await node.TenantA.PostJsonAsync($"/v1/sandboxes/{id}/processes", new { cmd = "cat", keepStdinOpen = true, tag = "echo" });
        var pid = (await started.JsonAsync(HttpStatusCode.Created)).GetProperty("pid").GetInt32();

        var listed = await (await node.TenantA.GetAsync($"/v1/sandboxes/{id}/processes")).JsonAsync();
        await using var attached = await SseStream.OpenAsync(node.TenantA, HttpMethod.Get, $"/v1/sandboxes/{id}/processes/{pid}/events");
        var first = await attached.NextAsync();
        using var stdin = await node.TenantA.PostAsync($"/v1/sandboxes/{id}/processes/{pid}/stdin", new ByteArrayContent(Encoding.UTF8.GetBytes("hello\n")));
        var echoed = await attached.NextAsync();
        using var close = await node.TenantA.PostAsync($"/v1/sandboxes/{id}/processes/{pid}/stdin/close", null);
        var rest = await attached.ReadToEndAsync();

        Assert.Equal(pid, Assert.Single(listed.EnumerateArray()).GetProperty("pid").GetInt32());
        Assert.Equal("echo", listed[0].GetProperty("tag").GetString());
        Assert.Equal(["/bin/bash", "-c", "cat"], listed[0].GetProperty("argv").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(("started", pid), (first.Name, first.Data.GetProperty("pid").GetInt32()));
        Assert.Equal(HttpStatusCode.NoContent, stdin.StatusCode);
        Assert.Equal(("stdout", "hello\n"), (echoed.Name, echoed.Data.GetProperty("text").GetString()));
        Assert.Equal(HttpStatusCode.NoContent, close.StatusCode);
        Assert.Equal(["exit", "end"], rest.Select(e => e.Name));
        Assert.Equal(0, rest[0].Data.GetProperty("exitCode").GetInt32());
        await node.TenantA.DeleteAsync($"/v1/sandboxes/{id}");
    }

    [Fact]
    public async Task SignalAndDelete_EndTheProcess_AndALateAttachGetsItsExit()
    {
        var id = await node.TenantA.CreateSandboxAsync();
        var term = await StartAsync(node.TenantA, id, "sleep 300");
        var kill = await StartAsync(node.TenantA, id, "sleep 300");

        await using var watching = await SseStream.OpenAsync(node.TenantA, HttpMethod.Get, $"/v1/sandboxes/{id}/processes/{term}/events");
        await watching.NextAsync();
        using var signalled = await node.TenantA.PostJsonAsync($"/v1/sandboxes/{id}/processes/{term}/signal", new { signal = 15 });
        var termEvents = await watching.ReadToEndAsync();
        using var deleted = await node.TenantA.DeleteAsync($"/v1/sandboxes/{id}/processes/{kill}");
        await using var late = await SseStream.OpenAsync(node.TenantA, HttpMethod.Get, $"/v1/sandboxes/{id}/processes/{kill}/events");
        var lateEvents = await late.ReadToEndAsync();

        Assert.Equal(HttpStatusCode.NoContent, signalled.StatusCode);
        Assert.Equal(15, termEvents[0].Data.GetProperty("signal").GetInt32());
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(["started", "exit", "end"], lateEvents.Select(e => e.Name));
        Assert.Equal(9, lateEvents[1].Data.GetProperty("signal").GetInt32());
        await (await node.TenantA.PostJsonAsync($"/v1/sandboxes/{id}/processes/{kill}/signal", new { signal = 15 })).ProblemAsync(HttpStatusCode.NotFound, "process_not_found");
        await node.TenantA.DeleteAsync($"/v1/sandboxes/{id}");
    }

    [Fact]
    public async Task Errors_AreProblems_BeforeAnyStreamBegins()
    {
        var id = await node.TenantA.CreateSandboxAsync();

        await (await node.TenantA.GetAsync($"/v1/sandboxes/{id}/processes/99999/events")).ProblemAsync(HttpStatusCode.NotFound, "process_not_found");
        await (await node.TenantA.DeleteAsync($"/v1/sandboxes/{id}/processes/99999")).ProblemAsync(HttpStatusCode.NotFound, "process_not_found");
        await (await node.TenantA.PostAsync($"/v1/sandboxes/{id}/processes/99999/stdin", new ByteArrayContent([1]))).ProblemAsync(HttpStatusCode.NotFound, "process_not_found");
        await (await node.TenantA.PostJsonAsync($"/v1/sandboxes/{id}/processes", new { cmd = "true", argv = new[] { "true" } })).ProblemAsync(HttpStatusCode.BadRequest, "validation");
        using var sse = new HttpRequestMessage(HttpMethod.Post, $"/v1/sandboxes/{id}/processes") { Content = JsonContent.Create(new { cmd = "" }) };
        sse.Headers.Accept.ParseAdd("text/event-stream");
        await (await node.TenantA.SendAsync(sse)).ProblemAsync(HttpStatusCode.BadRequest, "validation");
        var pid = await StartAsync(node.TenantA, id, "sleep 300");
        await (await node.TenantA.PostAsync($"/v1/sandboxes/{id}/processes/{pid}/stdin", new ByteArrayContent([1]))).ProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await node.TenantA.PostJsonAsync($"/v1/sandboxes/{id}/processes/{pid}/signal", new { signal = 99 })).ProblemAsync(HttpStatusCode.BadRequest, "validation");
        await node.TenantA.DeleteAsync($"/v1/sandboxes/{id}");
    }

    [Fact]
    public async Task AnotherTenant_GetsNotFound_OnEveryProcessRoute()
    {
        var id = await node.TenantA.CreateSandboxAsync();
        var pid = await StartAsync(node.TenantA, id, "sleep 300");
        var b = node.TenantB;
        var path = $"/v1/sandboxes/{id}/processes";

        await (await b.PostJsonAsync(path, new { cmd = "true" })).ProblemAsync(HttpStatusCode.NotFound, "sandbox_not_found");
        await (await b.GetAsync(path)).ProblemAsync(HttpStatusCode.NotFound, "sandbox_not_found");
        await (await b.GetAsync($"{path}/{pid}/events")).ProblemAsync(HttpStatusCode.NotFound, "sandbox_not_found");
        await (await b.PostAsync($"{path}/{pid}/stdin", new ByteArrayContent([1]))).ProblemAsync(HttpStatusCode.NotFound, "sandbox_not_found");
        await (await b.PostAsync($"{path}/{pid}/stdin/close", null)).ProblemAsync(HttpStatusCode.NotFound, "sandbox_not_found");
        await (await b.PostJsonAsync($"{path}/{pid}/signal", new { signal = 9 })).ProblemAsync(HttpStatusCode.NotFound, "sandbox_not_found");
        await (await b.DeleteAsync($"{path}/{pid}")).ProblemAsync(HttpStatusCode.NotFound, "sandbox_not_found");

        // Still running and A's.
        Assert.Equal(pid, Assert.Single((await (await node.TenantA.GetAsync(path)).JsonAsync()).EnumerateArray()).GetProperty("pid").GetInt32());
        await node.TenantA.DeleteAsync($"/v1/sandboxes/{id}");
    }

    [Fact]
    public async Task OpenStreams_DoNotPinInFlightSlots_AndAreBoundedOnTheirOwn()
    {
        var streamer = node.Streamer;
        var id = await streamer.CreateSandboxAsync();
        var streams = new List<SseStream>();
        try
        {
            // More open streams than the tenant has in-flight slots.
            for (var i = 0; i < SiloFixture.ProcessStreamsPerTenant; i++)
            {
                var pid = await StartAsync(streamer, id, "sleep 300");
                var stream = await SseStream.OpenAsync(streamer, HttpMethod.Get, $"/v1/sandboxes/{id}/processes/{pid}/events");
                streams.Add(stream);
                Assert.Equal("started", (await stream.NextAsync()).Name);
            }

            Assert.True(SiloFixture.ProcessStreamsPerTenant > SiloFixture.StreamerInFlight);
            var listed = await (await streamer.GetAsync($"/v1/sandboxes/{id}/processes")).JsonAsync();
            var oneMore = await StartAsync(streamer, id, "sleep 300");
            await (await streamer.GetAsync($"/v1/sandboxes/{id}/processes/{oneMore}/events")).ProblemAsync(HttpStatusCode.TooManyRequests, "too_many_requests");

            Assert.Equal(SiloFixture.ProcessStreamsPerTenant, listed.GetArrayLength());
            // Another tenant's streams are not held back by this one's.
            var other = await node.TenantB.CreateSandboxAsync();
            await using var theirs = await SseStream.OpenAsync(node.TenantB, HttpMethod.Post, $"/v1/sandboxes/{other}/processes", new { cmd = "echo mine" });
            Assert.Equal(["started", "stdout", "exit", "end"], (await theirs.ReadToEndAsync()).Select(e => e.Name));
            await node.TenantB.DeleteAsync($"/v1/sandboxes/{other}");
        }
        finally
        {
            foreach (var stream in streams)
            {
                await stream.DisposeAsync();
            }

            await streamer.DeleteAsync($"/v1/sandboxes/{id}");
        }
    }

    [Fact]
    public async Task AQuietProcess_GetsKeepAliveComments_ThenItsOutput()
    {
        var id = await node.TenantA.CreateSandboxAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/sandboxes/{id}/processes") { Content = JsonContent.Create(new { cmd = "sleep 3; echo late" }) };
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await node.TenantA.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        var lines = new List<string>();
        while (await reader.ReadLineAsync() is { } line)
        {
            lines.Add(line);
        }

        // The fixture sets KeepAliveSeconds to 1; the process says nothing for 3 s after it starts.
        var started = lines.IndexOf("event: started");
        var output = lines.IndexOf("event: stdout");
        Assert.True(started >= 0 && output > started, string.Join(" | ", lines));
        Assert.Contains(": keep-alive", lines[started..output]);
        Assert.Equal("event: end", lines.Last(l => l.StartsWith("event: ", StringComparison.Ordinal)));
        await node.TenantA.DeleteAsync($"/v1/sandboxes/{id}");
    }

    private static async Task<int> StartAsync(HttpClient client, string id, string cmd)
    {
        using var response = await client.PostJsonAsync($"/v1/sandboxes/{id}/processes", new { cmd });
        return (await response.JsonAsync(HttpStatusCode.Created)).GetProperty("pid").GetInt32();
    }

    /// <summary>An open Server-Sent Events response read event by event.</summary>
    private sealed class SseStream : IAsyncDisposable
    {
        private readonly HttpResponseMessage _response;
        private readonly StreamReader _reader;

        private SseStream(HttpResponseMessage response, StreamReader reader)
        {
            _response = response;
            _reader = reader;
        }

        public static async Task<SseStream> OpenAsync(HttpClient client, HttpMethod method, string url, object? body = null)
        {
            using var request = new HttpRequestMessage(method, url) { Content = body is null ? null : JsonContent.Create(body) };
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"{method} {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }

            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            return new SseStream(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
        }

        public async Task<(string Name, JsonElement Data)> NextAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            string? name = null;
            while (await _reader.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    name = line["event: ".Length..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    return (name!, JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone());
                }
            }

            throw new InvalidOperationException("The event stream ended without an end event.");
        }

        public async Task<List<(string Name, JsonElement Data)>> ReadToEndAsync()
        {
            var events = new List<(string Name, JsonElement Data)>();
            do
            {
                events.Add(await NextAsync());
            }
            while (events[^1].Name != "end");

            return events;
        }

        public ValueTask DisposeAsync()
        {
            _reader.Dispose();
            _response.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
