using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using SoulBox.Silo.Auth;
using SoulBox.Silo.Hosting;

namespace SoulBox.Silo.Tests;

/// <summary>Start-up rules that need no running node.</summary>
public sealed class HostingTests
{
    [Theory]
    [InlineData("http://127.0.0.1:8080", true)]
    [InlineData("http://localhost:5000", true)]
    [InlineData("http://[::1]:8080", true)]
    [InlineData("http://127.0.0.2:8080/", true)]
    [InlineData("http://0.0.0.0:8080", false)]
    [InlineData("http://*:8080", false)]
    [InlineData("http://+:8080", false)]
    [InlineData("http://[::]:8080", false)]
    [InlineData("http://192.0.2.10:8080", false)]
    [InlineData("http://example.test:8080", false)]
    public void LoopbackUrls_AreTold(string url, bool loopback) => Assert.Equal(loopback, LoopbackGuard.IsLoopbackUrl(url));

    [Fact]
    public void WithoutKeys_BindingBeyondLoopbackFailsStartUp()
    {
        var builder = WebApplication.CreateBuilder(["--urls", "http://0.0.0.0:18999", "--SoulBox:NodeName", "hostingtest"]);
        builder.AddSoulBoxSilo();
        var error = Assert.Throws<InvalidOperationException>(() => builder.AddSoulBoxGateway());
        Assert.Contains("0.0.0.0", error.Message);
        Assert.Contains("SoulBox:Auth:Keys", error.Message);
    }

    [Fact]
    public void WithKeys_BindingBeyondLoopbackIsAllowed()
    {
        var builder = WebApplication.CreateBuilder(["--urls", "http://0.0.0.0:18999", "--SoulBox:NodeName", "hostingtest",
            "--SoulBox:Auth:Keys:a-long-enough-api-key-0001", "tenant-x"]);
        builder.AddSoulBoxSilo();
        builder.AddSoulBoxGateway();
    }

    [Fact]
    public async Task WorkerRole_ListensNowhereAndMapsNoApi()
    {
        var builder = WebApplication.CreateBuilder(["--SoulBox:Role", "worker", "--SoulBox:NodeName", "workertest"]);
        builder.AddServiceDefaults();
        builder.AddSoulBoxSilo();
        builder.AddSoulBoxGateway();
        await using var app = builder.Build();
        app.UseSoulBoxGateway();
        app.MapDefaultEndpoints();
        Assert.False(app.IsSoulBoxGateway());
        Assert.IsType<NoHttpServer>(app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>());
    }

    [Fact]
    public void Keys_ReadAsPairsOrAsAList()
    {
        var builder = WebApplication.CreateBuilder(["--SoulBox:Auth:Keys:a-long-enough-api-key-0001", "t1",
            "--SoulBox:Auth:Keys:0:Key", "another-long-api-key-0002", "--SoulBox:Auth:Keys:0:Tenant", "t2"]);
        var options = AuthOptions.From(builder.Configuration);
        Assert.Equal("t1", options.Keys["a-long-enough-api-key-0001"]);
        Assert.Equal("t2", options.Keys["another-long-api-key-0002"]);
    }

    [Fact]
    public void ShortKeys_FailStartUpNamingTheSetting()
    {
        var builder = WebApplication.CreateBuilder(["--SoulBox:Auth:Keys:short", "t1"]);
        var error = Assert.Throws<InvalidOperationException>(() => builder.AddSoulBoxAuth());
        Assert.Contains("SoulBox:Auth:Keys", error.Message);
    }
}
