using System.Net.Http.Headers;

namespace SoulBox.Silo.Tests.E2b;

/// <summary>E2B's control plane and the data plane's routing and authentication on a real node (the SDK-driven flows
/// are in SoulBox.E2b.Tests).</summary>
[Collection(SiloCollection.Name)]
public sealed class E2bGatewayTests(SiloFixture node)
{
    [Fact]
    public async Task Create_Connect_Get_SetTimeout_Kill_WithE2bShapes()
    {
        var a = E2b(SiloFixture.KeyA);
        var created = await (await a.PostAsJsonAsync("/v2/sandboxes", new { templateID = "python", timeout = 120, metadata = new { run = "e2b-shapes" } })).JsonAsync(HttpStatusCode.Created);
        var id = created.GetProperty("sandboxID").GetString()!;
        var token = created.GetProperty("envdAccessToken").GetString()!;
        Assert.Equal("python", created.GetProperty("templateID").GetString());
        Assert.True(token.Length >= 40, "envdAccessToken too short");
        Assert.NotEqual(token, created.GetProperty("trafficAccessToken").GetString());
        Assert.Matches(@"^\d+\.\d+\.\d+$", created.GetProperty("envdVersion").GetString());

        // The old SDK's path connects the same way and hands out the same tokens.
        var connected = await (await a.PostAsJsonAsync($"/sandboxes/{id}/connect", new { timeout = 200 })).JsonAsync();
        Assert.Equal(token, connected.GetProperty("envdAccessToken").GetString());
        var info = await (await a.GetAsync($"/sandboxes/{id}")).JsonAsync();
        Assert.Equal(id, info.GetProperty("sandboxID").GetString());
        Assert.Equal("e2b-shapes", info.GetProperty("metadata").GetProperty("run").GetString());
        Assert.True(info.GetProperty("endAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddSeconds(150), "connect's timeout did not extend the sandbox");

        using (var timeout = await a.PostAsJsonAsync($"/sandboxes/{id}/timeout", new { timeout = 30 }))
        {
            Assert.Equal(HttpStatusCode.NoContent, timeout.StatusCode);
        }

        using (var pause = await a.PostAsJsonAsync($"/sandboxes/{id}/pause", new { }))
        {
            var refused = await pause.JsonAsync(HttpStatusCode.NotImplemented);
            Assert.Contains("does not pause", refused.GetProperty("message").GetString());
        }

        Assert.Equal(HttpStatusCode.NoContent, (await a.DeleteAsync($"/sandboxes/{id}")).StatusCode);
        // E2B's SDK reads "not found" from code 404: kill() then answers false, getInfo throws SandboxNotFoundError.
        var again = await (await a.DeleteAsync($"/sandboxes/{id}")).JsonAsync(HttpStatusCode.NotFound);
        Assert.Equal(404, again.GetProperty("code").GetInt32());
        Assert.Equal(404, (await (await a.GetAsync($"/sandboxes/{id}")).JsonAsync(HttpStatusCode.NotFound)).GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task Create_WithAnUnknownTemplate_Is400InE2bShape()
    {
        var refused = await (await E2b(SiloFixture.KeyA).PostAsJsonAsync("/sandboxes", new { templateID = "no-such-template" })).JsonAsync(HttpStatusCode.BadRequest);
        Assert.Equal(400, refused.GetProperty("code").GetInt32());
        Assert.Contains("no-such-template", refused.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Create_WithoutAnApiKey_Is401()
    {
        using var response = await E2b(null).PostAsJsonAsync("/v2/sandboxes", new { templateID = "python" });
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task List_PagesWithNextToken_AndShowsOnlyTheTenantsOwn()
    {
        var a = E2b(SiloFixture.KeyA);
        var tag = Guid.NewGuid().ToString("N");
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var created = await (await a.PostAsJsonAsync("/v2/sandboxes", new { templateID = "python", metadata = new { tag } })).JsonAsync(HttpStatusCode.Created);
            ids.Add(created.GetProperty("sandboxID").GetString()!);
        }

        try
        {
            var filter = Uri.EscapeDataString($"tag={tag}");
            var seen = new List<string>();
            string? next = null;
            var pages = 0;
            do
            {
                using var page = await a.GetAsync($"/v2/sandboxes?metadata={filter}&limit=2" + (next is null ? "" : $"&nextToken={Uri.EscapeDataString(next)}"));
                var items = await page.JsonAsync();
                seen.AddRange(items.EnumerateArray().Select(s => s.GetProperty("sandboxID").GetString()!));
                next = page.Headers.TryGetValues("x-next-token", out var values) ? values.Single() : null;
                pages++;
            }
            while (next is not null && pages < 5);

            Assert.Equal(2, pages);
            Assert.Equal(ids.Order(), seen.Order());
            var theirs = await (await E2b(SiloFixture.KeyB).GetAsync($"/v2/sandboxes?metadata={filter}")).JsonAsync();
            Assert.Equal(0, theirs.GetArrayLength());
            var paused = await (await a.GetAsync($"/v2/sandboxes?metadata={filter}&state=paused")).JsonAsync();
            Assert.Equal(0, paused.GetArrayLength());
        }
        finally
        {
            foreach (var id in ids)
            {
                await a.DeleteAsync($"/sandboxes/{id}");
            }
        }
    }

    [Fact]
    public async Task DataPlane_NeedsTheSandboxsToken_AndAnotherTenantsTokenDoesNotOpenIt()
    {
        var a = E2b(SiloFixture.KeyA);
        var b = E2b(SiloFixture.KeyB);
        var (idA, tokenA) = await CreateAsync(a);
        var (idB, tokenB) = await CreateAsync(b);
        try
        {
            // No token, a wrong one, and tenant B's own valid token on A's sandbox: all refused before any work.
            Assert.Equal(HttpStatusCode.Unauthorized, (await ExecuteAsync(idA, null, "print(1)")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await ExecuteAsync(idA, "not-the-token", "print(1)")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await ExecuteAsync(idA, tokenB, "print(1)")).StatusCode);
            // B's API key on A's sandbox id through the control plane: not found, as for a stranger.
            Assert.Equal(HttpStatusCode.NotFound, (await b.PostAsJsonAsync($"/v2/sandboxes/{idA}/connect", new { })).StatusCode);

            using var ran = await ExecuteAsync(idA, tokenA, "x = 20\nprint('hello')\nx * 2 + 2");
            var lines = await NdjsonAsync(ran);
            Assert.Contains(lines, l => l.GetProperty("type").GetString() == "stdout" && l.GetProperty("text").GetString() == "hello\n");
            Assert.Contains(lines, l => l.GetProperty("type").GetString() == "result" && l.GetProperty("text").GetString() == "42" && l.GetProperty("is_main_result").GetBoolean());
            Assert.Equal("end_of_execution", lines[^1].GetProperty("type").GetString());
            Assert.Equal(1, lines.Single(l => l.GetProperty("type").GetString() == "number_of_executions").GetProperty("execution_count").GetInt32());

            using var failed = await ExecuteAsync(idA, tokenA, "1/0");
            var error = (await NdjsonAsync(failed)).Single(l => l.GetProperty("type").GetString() == "error");
            Assert.Equal("ZeroDivisionError", error.GetProperty("name").GetString());
            Assert.Contains("Traceback", error.GetProperty("traceback").GetString());
        }
        finally
        {
            await a.DeleteAsync($"/sandboxes/{idA}");
            await b.DeleteAsync($"/sandboxes/{idB}");
        }
    }

    [Fact]
    public async Task DataPlane_IsTheSandboxTenants_NotAnonymous_AndAnEndedSandboxReads502()
    {
        var a = E2b(SiloFixture.KeyA);
        var (id, token) = await CreateAsync(a);
        // More token-carrying calls without an API key than the anonymous burst (50) allows: none is refused.
        var anonymous = node.Client(null);
        for (var i = 0; i < 60; i++)
        {
            using var health = await Health(anonymous, id, token);
            Assert.Equal(HttpStatusCode.NoContent, health.StatusCode);
        }

        await a.DeleteAsync($"/sandboxes/{id}");
        using var gone = await Health(anonymous, id, token);
        Assert.Equal(HttpStatusCode.BadGateway, gone.StatusCode);
        using var unknown = await Health(anonymous, id[..^3] + "zzz", token);
        Assert.Equal(HttpStatusCode.BadGateway, unknown.StatusCode);

        // A port nothing listens on, and the private prefix named directly.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health");
        request.Headers.Add("E2b-Sandbox-Id", id);
        request.Headers.Add("E2b-Sandbox-Port", "8888");
        Assert.Equal(HttpStatusCode.BadGateway, (await anonymous.SendAsync(request)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"/_e2b/envd/{id}/health")).StatusCode);
        // SoulBox's own /health is untouched by the data plane.
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task Execute_ACallerThatLeavesStopsItsCell()
    {
        // E2B's SDK gives up on a cell after its own timeoutMs and closes the request: the cell must stop then, not
        // keep the context busy (the next runCode would wait for it) until the server's ExecuteTimeoutMs.
        var a = E2b(SiloFixture.KeyA);
        var (id, token) = await CreateAsync(a);
        try
        {
            using (var request = ExecuteRequest(id, token, "import time\nprint('started', flush=True)\ntime.sleep(150)\nleft = 'finished'"))
            using (var response = await node.Client(null).SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
            {
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
                Assert.Contains("started", await reader.ReadLineAsync());
            }

            // Had the cell gone on, this would wait for its 150 s sleep (past the client's 100 s) and then see 'finished'.
            var after = await NdjsonAsync(await ExecuteAsync(id, token, "globals().get('left', 'stopped')"));
            Assert.Equal("'stopped'", after.Single(e => e.GetProperty("type").GetString() == "result").GetProperty("text").GetString());
        }
        finally
        {
            await a.DeleteAsync($"/sandboxes/{id}");
        }
    }

    private static Task<HttpResponseMessage> Health(HttpClient client, string id, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/health");
        request.Headers.Add("E2b-Sandbox-Id", id);
        request.Headers.Add("E2b-Sandbox-Port", "49983");
        request.Headers.Add("X-Access-Token", token);
        return client.SendAsync(request);
    }

    private Task<HttpResponseMessage> ExecuteAsync(string id, string? token, string code) => node.Client(null).SendAsync(ExecuteRequest(id, token, code));

    private static HttpRequestMessage ExecuteRequest(string id, string? token, string code)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/execute") { Content = JsonContent.Create(new { code }) };
        request.Headers.Add("E2b-Sandbox-Id", id);
        request.Headers.Add("E2b-Sandbox-Port", "49999");
        if (token is not null)
        {
            request.Headers.Add("X-Access-Token", token);
        }

        return request;
    }

    private static async Task<List<JsonElement>> NdjsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone())];
    }

    private static async Task<(string Id, string Token)> CreateAsync(HttpClient client)
    {
        var created = await (await client.PostAsJsonAsync("/v2/sandboxes", new { templateID = "python" })).JsonAsync(HttpStatusCode.Created);
        return (created.GetProperty("sandboxID").GetString()!, created.GetProperty("envdAccessToken").GetString()!);
    }

    /// <summary>A client that authenticates as E2B's SDK does: X-API-KEY, no bearer.</summary>
    private HttpClient E2b(string? key)
    {
        var client = node.Client(null);
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add("X-API-KEY", key);
        }

        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }
}
