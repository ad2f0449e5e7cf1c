using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using SoulBox.Silo.E2b;

namespace SoulBox.Silo.Tests.E2b;

/// <summary>The routing rules of E2B's data plane, without a node: which requests move under the private prefix.</summary>
public sealed class E2bDataPlaneRouterTests
{
    [Theory]
    [InlineData("vm.abcdefghijkl", "49983", "/files", "/_e2b/envd/vm.abcdefghijkl/files")]
    [InlineData("vm.abcdefghijkl", "49999", "/execute", "/_e2b/interpreter/vm.abcdefghijkl/execute")]
    [InlineData("vm.abcdefghijkl", null, "/process.Process/Start", "/_e2b/envd/vm.abcdefghijkl/process.Process/Start")]
    public async Task HeaderRouting_MovesTheRequestUnderItsService(string id, string? port, string path, string expected)
    {
        var http = Request(path);
        http.Request.Headers["E2b-Sandbox-Id"] = id;
        if (port is not null)
        {
            http.Request.Headers["E2b-Sandbox-Port"] = port;
        }

        var seen = await RouteAsync(http, domain: null);
        Assert.Equal(expected, seen);
        Assert.Equal(new PathString(path), http.Items[E2bDataPlaneRouter.OriginalPathKey]);
    }

    [Theory]
    [InlineData("49983-node-1.abcdefghijkl.sandbox.example.com", "/health", "/_e2b/envd/node-1.abcdefghijkl/health")]
    [InlineData("49999-vm.abcdefghijkl.SANDBOX.example.com", "/contexts", "/_e2b/interpreter/vm.abcdefghijkl/contexts")]
    public async Task HostRouting_FindsPortAndSandboxBeforeTheDomain(string host, string path, string expected)
    {
        var http = Request(path);
        http.Request.Host = new HostString(host);
        Assert.Equal(expected, await RouteAsync(http, "sandbox.example.com"));
    }

    [Theory]
    [InlineData("api.example.com")]
    [InlineData("49983-vm.abcdefghijkl.other.example.com")]
    [InlineData("sandbox.example.com")]
    public async Task OtherHosts_AreSoulBoxsOwnRequests(string host)
    {
        var http = Request("/health");
        http.Request.Host = new HostString(host);
        Assert.Equal("/health", await RouteAsync(http, "sandbox.example.com"));
    }

    [Fact]
    public async Task AnUnservedPort_Is502_AndThePrivatePrefixIsNotAddressable()
    {
        var http = Request("/");
        http.Request.Headers["E2b-Sandbox-Id"] = "vm.abcdefghijkl";
        http.Request.Headers["E2b-Sandbox-Port"] = "3000";
        Assert.Null(await RouteAsync(http, null));
        Assert.Equal(StatusCodes.Status502BadGateway, http.Response.StatusCode);

        var direct = Request("/_e2b/envd/vm.abcdefghijkl/health");
        Assert.Null(await RouteAsync(direct, null));
        Assert.Equal(StatusCodes.Status404NotFound, direct.Response.StatusCode);
    }

    private static DefaultHttpContext Request(string path)
    {
        var http = new DefaultHttpContext();
        http.Request.Path = path;
        http.Request.Host = new HostString("127.0.0.1:8080");
        http.Response.Body = new MemoryStream();
        return http;
    }

    /// <summary>The path the next middleware saw, or null when the router answered itself.</summary>
    private static async Task<string?> RouteAsync(DefaultHttpContext http, string? domain)
    {
        string? seen = null;
        var router = new E2bDataPlaneRouter(context =>
        {
            seen = context.Request.Path.Value;
            return Task.CompletedTask;
        }, Options.Create(new E2bOptions { Domain = domain }));
        await router.InvokeAsync(http);
        return seen;
    }
}
