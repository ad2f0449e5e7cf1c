using System.Text;
using SoulBox.Silo.Problems;

namespace SoulBox.Silo.Tests;

[Collection(SiloCollection.Name)]
public sealed class ErrorTests(SiloFixture node)
{
    private HttpClient A => node.TenantA;

    [Fact]
    public async Task UnknownTemplate_Is400NamingTheField()
    {
        var problem = await (await A.PostJsonAsync("/v1/sandboxes", new { template = "cobol" })).ProblemAsync(HttpStatusCode.BadRequest, "validation");
        Assert.Equal("template", problem.GetProperty("field").GetString());
    }

    [Fact]
    public async Task TimeoutOutOfRange_Is400()
    {
        var problem = await (await A.PostJsonAsync("/v1/sandboxes", new { timeoutSeconds = -5 })).ProblemAsync(HttpStatusCode.BadRequest, "validation");
        Assert.Equal("timeoutSeconds", problem.GetProperty("field").GetString(), ignoreCase: true);
    }

    [Fact]
    public async Task EmptyCodeAndUnknownLanguage_Are400()
    {
        var id = await A.CreateSandboxAsync();
        var empty = await (await A.PostJsonAsync($"/v1/sandboxes/{id}/code", new { code = "" })).ProblemAsync(HttpStatusCode.BadRequest, "validation");
        Assert.Equal("code", empty.GetProperty("field").GetString());
        await (await A.PostJsonAsync($"/v1/sandboxes/{id}/code", new { code = "1", language = "cobol" })).ProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await A.PostJsonAsync("/v1/execute", new { language = "cobol", code = "x" })).ProblemAsync(HttpStatusCode.BadRequest, "validation");
        await A.DeleteAsync($"/v1/sandboxes/{id}");
    }

    [Fact]
    public async Task MalformedJson_Is400()
    {
        using var content = new StringContent("{\"code\": ", Encoding.UTF8, "application/json");
        await (await A.PostAsync("/v1/sandboxes/silotest.aaaaaaaaaaaa/code", content)).ProblemAsync(HttpStatusCode.BadRequest, "validation");
    }

    [Fact]
    public async Task BodyOverTheLimit_Is413()
    {
        var code = new string('#', SiloFixture.MaxJsonBodyBytes + 10);
        await (await A.PostJsonAsync("/v1/execute", new { language = "python", code })).ProblemAsync(HttpStatusCode.RequestEntityTooLarge, "too_large");
    }

    [Fact]
    public async Task UnknownRoute_Is404Problem() =>
        await (await A.GetAsync("/v1/no-such-thing")).ProblemAsync(HttpStatusCode.NotFound, "not_found");

    [Fact]
    public async Task UnknownSandbox_Is404()
    {
        await (await A.GetAsync("/v1/sandboxes/silotest.aaaaaaaaaaaa")).ProblemAsync(HttpStatusCode.NotFound, "sandbox_not_found");
        await (await A.GetAsync("/v1/sandboxes/no-dot-in-this-id")).ProblemAsync(HttpStatusCode.NotFound, "sandbox_not_found");
    }

    [Fact]
    public async Task MissingOrUnknownKey_Is401()
    {
        await (await node.Anonymous.GetAsync("/v1/templates")).ProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        using var wrong = node.Client("not-a-key-of-anyone-at-all");
        await (await wrong.GetAsync("/v1/sandboxes")).ProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        using var header = node.Client(null);
        header.DefaultRequestHeaders.Add("X-API-Key", SiloFixture.KeyA);
        Assert.Equal(HttpStatusCode.OK, (await header.GetAsync("/v1/templates")).StatusCode);
    }

    [Fact]
    public async Task FileErrors_HaveTheirStatuses()
    {
        var id = await A.CreateSandboxAsync();
        var escape = await (await A.GetAsync($"/v1/sandboxes/{id}/files?path=../../etc/passwd")).ProblemAsync(HttpStatusCode.BadRequest, "path_escape");
        Assert.Equal("../../etc/passwd", escape.GetProperty("path").GetString());
        await (await A.GetAsync($"/v1/sandboxes/{id}/files?path=missing.txt")).ProblemAsync(HttpStatusCode.NotFound, "file_not_found");
        await (await A.GetAsync($"/v1/sandboxes/{id}/files?path=/tmp")).ProblemAsync(HttpStatusCode.BadRequest, "is_directory");
        await A.DeleteAsync($"/v1/sandboxes/{id}");
    }

    [Theory]
    [InlineData(ErrorCodes.NoCapacity, 503)]
    [InlineData(ErrorCodes.SandboxLost, 409)]
    [InlineData(ErrorCodes.SandboxExpired, 409)]
    [InlineData(ErrorCodes.SandboxNotRunning, 409)]
    [InlineData(ErrorCodes.AlreadyExists, 409)]
    [InlineData(ErrorCodes.NotDirectory, 400)]
    [InlineData(ErrorCodes.ContextNotFound, 404)]
    public void EveryCode_HasItsStatus(string code, int status) => Assert.Equal(status, ProblemTypes.StatusOf(code));

    [Fact]
    public void NoCapacity_IsA503Problem()
    {
        var problem = SoulBoxExceptionHandler.ToProblem(new NoCapacityException("Every worker node is at its sandbox limit."));
        Assert.Equal(503, problem.Status);
        Assert.Equal("urn:soulbox:error:no_capacity", problem.Type);
    }
}
