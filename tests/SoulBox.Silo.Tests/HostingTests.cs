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

    [Fact]
    public void AListOfBareKeys_FailsStartUp_WithoutEchoingTheKey()
    {
        // SoulBox__Auth__Keys__0=<key>: binds as key "0" of a tenant named after the secret.
        const string secret = "a-long-enough-api-key-0003";
        var builder = WebApplication.CreateBuilder(["--SoulBox:Auth:Keys:0", secret]);
        var error = Assert.Throws<InvalidOperationException>(() => builder.AddSoulBoxAuth());
        Assert.Contains("SoulBox:Auth:Keys:0 is a list entry without a tenant", error.Message);
        Assert.DoesNotContain(secret, error.Message);
    }

    [Fact]
    public void AListedKeyWithoutATenant_FailsStartUp_NotMappedToDefault()
    {
        var builder = WebApplication.CreateBuilder(["--SoulBox:Auth:Keys:0:Key", "another-long-api-key-0004"]);
        var error = Assert.Throws<InvalidOperationException>(() => builder.AddSoulBoxAuth());
        Assert.Contains("SoulBox:Auth:Keys:0:Tenant is missing", error.Message);
        Assert.DoesNotContain("another-long-api-key-0004", error.Message);
        Assert.DoesNotContain(AuthOptions.DefaultTenant, AuthOptions.From(builder.Configuration).Keys.Values);
    }

    [Theory]
    [InlineData(new string[0], true)]
    [InlineData(new[] { "--SoulBox:Auth:Keys:a-long-enough-api-key-0001", "t1" }, false)]
    [InlineData(new[] { "--SoulBox:Auth:Keys:a-long-enough-api-key-0001", "t1", "--SoulBox:Auth:LoopbackIsAdmin", "true" }, true)]
    [InlineData(new[] { "--SoulBox:Auth:LoopbackIsAdmin", "false" }, false)]
    public void LoopbackIsAdmin_OnlyWithoutKeysUnlessConfigured(string[] args, bool admin) =>
        Assert.Equal(admin, AuthOptions.From(WebApplication.CreateBuilder(args).Configuration).LoopbackAdmin);

    [Fact]
    public void UnreadableTlsCertificate_FailsStartUpNamingTheSetting()
    {
        var builder = WebApplication.CreateBuilder(["--SoulBox:NodeName", "tlstest", "--SoulBox:Tls:CertificatePath", "/nonexistent/silo.pfx",
            "--SoulBox:Tls:CaCertificatePath", "/nonexistent/ca.pem"]);
        var error = Assert.Throws<InvalidOperationException>(() => builder.AddSoulBoxSilo());
        Assert.Contains("SoulBox:Tls:", error.Message);
        Assert.Contains("could not be read", error.Message);
    }
}
