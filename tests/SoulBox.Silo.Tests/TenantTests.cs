namespace SoulBox.Silo.Tests;

[Collection(SiloCollection.Name)]
public sealed class TenantTests(SiloFixture node)
{
    [Fact]
    public async Task AnotherTenant_CannotReadRunInListOrDeleteASandbox()
    {
        var id = await node.TenantA.CreateSandboxAsync(metadata: new { owner = "a" });
        var b = node.TenantB;
        await (await b.GetAsync($"/v1/sandboxes/{id}")).ProblemAsync(HttpStatusCode.NotFound, "sandbox_not_found");
        await (await b.PostJsonAsync($"/v1/sandboxes/{id}/code", new { code = "print(1)" })).ProblemAsync(HttpStatusCode.NotFound, "sandbox_not_found");
        await (await b.PostJsonAsync($"/v1/sandboxes/{id}/commands", new { cmd = "true" })).ProblemAsync(HttpStatusCode.NotFound, "sandbox_not_found");
        await (await b.GetAsync($"/v1/sandboxes/{id}/files/list")).ProblemAsync(HttpStatusCode.NotFound, "sandbox_not_found");
        await (await b.DeleteAsync($"/v1/sandboxes/{id}")).ProblemAsync(HttpStatusCode.NotFound, "sandbox_not_found");
        var listed = await (await b.GetAsync("/v1/sandboxes?metadata.owner=a")).JsonAsync();
        Assert.Equal(0, listed.GetArrayLength());

        // Still alive and A's.
        await (await node.TenantA.GetAsync($"/v1/sandboxes/{id}")).JsonAsync();
        var mine = await (await node.TenantA.GetAsync("/v1/sandboxes?metadata.owner=a")).JsonAsync();
        Assert.Equal(1, mine.GetArrayLength());
        await node.TenantA.DeleteAsync($"/v1/sandboxes/{id}");
    }

    [Fact]
    public async Task RequestRate_IsLimitedPerTenantWith429AndRetryAfter()
    {
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? rejected = null;
        for (var i = 0; i < 8; i++)
        {
            var response = await node.Limited.GetAsync("/v1/templates");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                rejected ??= response;
            }
        }

        Assert.NotNull(rejected);
        Assert.True(rejected.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "429 without Retry-After");
        await rejected.ProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");

        // Other tenants are not held back.
        Assert.Equal(HttpStatusCode.OK, (await node.TenantB.GetAsync("/v1/templates")).StatusCode);
    }

    [Fact]
    public async Task ConcurrentSandboxes_AreLimitedPerTenant()
    {
        var first = await node.Small.CreateSandboxAsync();
        using var second = await node.Small.PostJsonAsync("/v1/sandboxes", new { template = "python" });
        Assert.NotNull(second.Headers.RetryAfter);
        await second.ProblemAsync(HttpStatusCode.TooManyRequests, "tenant_sandbox_limit");
        await node.Small.DeleteAsync($"/v1/sandboxes/{first}");
        var third = await node.Small.CreateSandboxAsync();
        await node.Small.DeleteAsync($"/v1/sandboxes/{third}");
    }
}
