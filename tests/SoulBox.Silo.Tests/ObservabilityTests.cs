namespace SoulBox.Silo.Tests;

[Collection(SiloCollection.Name)]
public sealed class ObservabilityTests(SiloFixture node)
{
    [Fact]
    public async Task HealthAndReady_Answer()
    {
        Assert.Equal("healthy", (await (await node.Anonymous.GetAsync("/health")).JsonAsync()).GetProperty("status").GetString());
        var ready = await (await node.Anonymous.GetAsync("/ready")).JsonAsync();
        Assert.Equal("healthy", ready.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Metrics_ShowSoulBoxAndOrleansMetricsAfterRuns()
    {
        await (await node.TenantA.PostJsonAsync("/v1/execute", new { language = "python", code = "print(1)" })).JsonAsync();
        var id = await node.TenantA.CreateSandboxAsync();
        await (await node.TenantA.PostJsonAsync($"/v1/sandboxes/{id}/code", new { code = "1" })).JsonAsync();
        await node.TenantA.DeleteAsync($"/v1/sandboxes/{id}");

        string metrics = "";
        for (var attempt = 0; attempt < 20 && !metrics.Contains("soulbox_sandbox_create_duration"); attempt++)
        {
            await Task.Delay(attempt == 0 ? 0 : 500); // the exporter caches a scrape briefly
            metrics = await node.Anonymous.GetStringAsync("/metrics");
        }

        Assert.Contains("soulbox_executions_total{", metrics);
        Assert.Contains("outcome=\"ok\"", metrics);
        Assert.Contains("soulbox_execution_duration_milliseconds_bucket{", metrics);
        Assert.Contains("soulbox_sandbox_create_duration_milliseconds_bucket{", metrics);
        Assert.Contains("otel_scope_name=\"Microsoft.Orleans\"", metrics);
        Assert.Contains("http_server_request_duration_seconds", metrics);
    }

    [Fact]
    public async Task OpenApiDocument_DescribesTheApi()
    {
        var document = await (await node.Anonymous.GetAsync("/openapi/v1.json")).JsonAsync();
        Assert.Equal("SoulBox API", document.GetProperty("info").GetProperty("title").GetString());
        var paths = document.GetProperty("paths");
        foreach (var path in new[] { "/v1/sandboxes", "/v1/sandboxes/{id}/code", "/v1/sandboxes/{id}/files", "/v1/execute", "/api/v2/execute", "/api/v2/runtimes" })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is missing from the OpenAPI document");
        }
    }

    [Fact]
    public async Task Dashboard_AnswersOnLoopback_WhenLoopbackIsAdmin()
    {
        using var response = await node.Anonymous.GetAsync("/dashboard/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("text/html", response.Content.Headers.ContentType?.ToString());
    }
}
