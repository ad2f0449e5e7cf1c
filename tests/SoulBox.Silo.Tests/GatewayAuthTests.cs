namespace SoulBox.Silo.Tests;

/// <summary>Who is an admin and how fast callers without a key may knock, on a node with keys and default settings.</summary>
[Collection(GatewayNodeCollection.Name)]
public sealed class GatewayAuthTests(GatewayNodeFixture node)
{
    [Fact]
    public async Task WithKeys_ALoopbackCallerIsNotAnAdmin_AnAdminKeyIs()
    {
        // Loopback is where a reverse proxy on the same host comes from: it must not make its callers admins.
        using var anonymous = node.Client(null);
        using var response = await GetPastTheAnonymousLimitAsync(anonymous, "/dashboard/");
        await response.ProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Contains("Basic", response.Headers.WwwAuthenticate.ToString());

        using var tenant = node.Client(GatewayNodeFixture.TenantKey);
        await (await tenant.GetAsync("/dashboard/")).ProblemAsync(HttpStatusCode.Forbidden, "forbidden");

        using var admin = node.Client(GatewayNodeFixture.AdminKey);
        using var dashboard = await admin.GetAsync("/dashboard/");
        Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
        Assert.Contains("text/html", dashboard.Content.Headers.ContentType?.ToString());
    }

    [Fact]
    public async Task RequestsWithoutAValidKey_AreLimitedPerAddressWith429AndRetryAfter_ProbesAndTenantsAreNot()
    {
        // The other test here spends this address's tokens too: start from a full bucket (burst at 1/s).
        await Task.Delay(TimeSpan.FromSeconds(GatewayNodeFixture.AnonymousBurst + 1));
        using var wrong = node.Client("not-a-key-of-anyone-at-all-0000");
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? rejected = null;
        for (var i = 0; i < GatewayNodeFixture.AnonymousBurst + 3 && rejected is null; i++)
        {
            var response = await wrong.GetAsync("/v1/templates");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                rejected = response;
            }
        }

        Assert.True(rejected is not null, "no 429 after " + string.Join(", ", statuses));
        Assert.Contains(HttpStatusCode.Unauthorized, statuses); // 401s were counted, then refused
        Assert.True(rejected.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "429 without Retry-After");
        await rejected.ProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");

        // Same address: requests without any key draw on the same bucket (a few tokens may have come back since, on a
        // slow machine), and are refused the same way; probes and a valid key are not held back.
        using var anonymous = node.Client(null);
        HttpResponseMessage? refused = null;
        for (var i = 0; i < GatewayNodeFixture.AnonymousBurst + 2 && refused is null; i++)
        {
            var response = await anonymous.GetAsync("/v1/templates");
            if (response.StatusCode != HttpStatusCode.Unauthorized)
            {
                refused = response;
            }
        }

        Assert.NotNull(refused);
        await refused.ProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health")).StatusCode);
        }

        // A tenant's request from the same address gets past authentication and this limiter (a gateway-only node
        // with no worker then answers what it can about the cluster; the point here is only that it is not 401/429).
        using var tenant = node.Client(GatewayNodeFixture.TenantKey);
        using var own = await tenant.GetAsync("/v1/templates");
        Assert.NotEqual(HttpStatusCode.TooManyRequests, own.StatusCode);
        Assert.NotEqual(HttpStatusCode.Unauthorized, own.StatusCode);
    }

    /// <summary>A GET without a valid key, waiting out a 429 left by the other test on this address.</summary>
    private static async Task<HttpResponseMessage> GetPastTheAnonymousLimitAsync(HttpClient client, string url)
    {
        for (var attempt = 0; ; attempt++)
        {
            var response = await client.GetAsync(url);
            if (response.StatusCode != HttpStatusCode.TooManyRequests || attempt == 5)
            {
                return response;
            }

            await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1));
        }
    }
}
