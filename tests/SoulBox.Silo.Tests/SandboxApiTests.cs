using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace SoulBox.Silo.Tests;

[Collection(SiloCollection.Name)]
public sealed class SandboxApiTests(SiloFixture node)
{
    private HttpClient A => node.TenantA;

    [Fact]
    public async Task Templates_ListsTheImagesPresentWithTheirVersions()
    {
        var templates = await (await A.GetAsync("/v1/templates")).JsonAsync();
        var python = templates.EnumerateArray().Single(t => t.GetProperty("name").GetString() == "python");
        Assert.Equal("python", python.GetProperty("language").GetString());
        Assert.StartsWith("3.", python.GetProperty("version").GetString());
    }

    [Fact]
    public async Task Templates_AnImageOfSeveralLanguages_ListsEachWithItsOwnVersion()
    {
        var templates = await (await A.GetAsync("/v1/templates")).JsonAsync();
        var scripting = templates.EnumerateArray().Single(t => t.GetProperty("name").GetString() == "scripting");
        Assert.Equal(["ruby", "php", "lua", "perl", "scheme"], scripting.GetProperty("languages").EnumerateArray().Select(l => l.GetString()));
        var versions = scripting.GetProperty("languageVersions");
        Assert.StartsWith("3.", versions.GetProperty("ruby").GetString());
        Assert.StartsWith("8.", versions.GetProperty("php").GetString());
        Assert.StartsWith("5.4", versions.GetProperty("lua").GetString());
        Assert.Equal(versions.GetProperty("ruby").GetString(), scripting.GetProperty("version").GetString());
    }

    [Fact]
    public async Task Sandbox_CreateGetListExtendDelete()
    {
        using var created = await A.PostJsonAsync("/v1/sandboxes", new { template = "python", timeoutSeconds = 120, metadata = new { suite = "lifecycle" } });
        var sandbox = await created.JsonAsync(HttpStatusCode.Created);
        var id = sandbox.GetProperty("id").GetString()!;
        Assert.Equal($"/v1/sandboxes/{id}", created.Headers.Location?.OriginalString);
        Assert.Equal("silotest", sandbox.GetProperty("node").GetString());
        Assert.Equal("tenant-a", sandbox.GetProperty("tenant").GetString());

        var read = await (await A.GetAsync($"/v1/sandboxes/{id}")).JsonAsync();
        Assert.Equal(id, read.GetProperty("id").GetString());

        var listed = await (await A.GetAsync("/v1/sandboxes?metadata.suite=lifecycle")).JsonAsync();
        Assert.Equal([id], listed.EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        var other = await (await A.GetAsync("/v1/sandboxes?metadata.suite=nothing-like-this")).JsonAsync();
        Assert.Equal(0, other.GetArrayLength());

        var extended = await (await A.PostJsonAsync($"/v1/sandboxes/{id}/timeout", new { timeoutSeconds = 600 })).JsonAsync();
        Assert.True(extended.GetProperty("expiresAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddSeconds(500));

        using var deleted = await A.DeleteAsync($"/v1/sandboxes/{id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await (await A.PostJsonAsync($"/v1/sandboxes/{id}/code", new { code = "1" })).ProblemAsync(HttpStatusCode.Conflict, "sandbox_not_running");
    }

    [Fact]
    public async Task Code_KeepsStateBetweenRunsAndReturnsTheLastValue()
    {
        var id = await A.CreateSandboxAsync();
        await (await A.PostJsonAsync($"/v1/sandboxes/{id}/code", new { code = "x = 41" })).JsonAsync();
        var result = await (await A.PostJsonAsync($"/v1/sandboxes/{id}/code", new { code = "print('hi')\nx + 1" })).JsonAsync();
        Assert.Equal("hi\n", result.GetProperty("stdout").GetString());
        Assert.Equal("42", result.GetProperty("value").GetString());
        Assert.Equal("ok", result.GetProperty("status").GetString());

        var error = await (await A.PostJsonAsync($"/v1/sandboxes/{id}/code", new { code = "1/0" })).JsonAsync();
        Assert.Equal("ZeroDivisionError", error.GetProperty("error").GetProperty("name").GetString());
        await A.DeleteAsync($"/v1/sandboxes/{id}");
    }

    [Fact]
    public async Task Contexts_HaveTheirOwnState()
    {
        var id = await A.CreateSandboxAsync();
        await (await A.PostJsonAsync($"/v1/sandboxes/{id}/code", new { code = "y = 1" })).JsonAsync();
        using var created = await A.PostJsonAsync($"/v1/sandboxes/{id}/contexts", new { language = "python" });
        var context = (await created.JsonAsync(HttpStatusCode.Created)).GetProperty("id").GetString();
        var inContext = await (await A.PostJsonAsync($"/v1/sandboxes/{id}/code", new { code = "'y' in globals()", contextId = context })).JsonAsync();
        Assert.Equal("False", inContext.GetProperty("value").GetString());
        using var deleted = await A.DeleteAsync($"/v1/sandboxes/{id}/contexts/{context}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await A.DeleteAsync($"/v1/sandboxes/{id}");
    }

    [Fact]
    public async Task Code_ThatTimesOutIsA200WithTheTimeoutStatus()
    {
        var id = await A.CreateSandboxAsync();
        var result = await (await A.PostJsonAsync($"/v1/sandboxes/{id}/code", new { code = "import time\ntime.sleep(30)", timeoutMs = 1000 })).JsonAsync();
        Assert.Equal("timeout", result.GetProperty("status").GetString());
        await A.DeleteAsync($"/v1/sandboxes/{id}");
    }

    [Fact]
    public async Task CodeStream_ACallerThatLeavesStopsItsRun()
    {
        var id = await A.CreateSandboxAsync();
        using (var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/sandboxes/{id}/code")
        {
            Content = JsonContent.Create(new { code = "import time\nprint('started', flush=True)\ntime.sleep(150)\nleft = 'finished'" }),
        })
        {
            request.Headers.Accept.ParseAdd("text/event-stream");
            using var response = await A.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            while (await reader.ReadLineAsync() is { } line && !line.Contains("started"))
            {
            }
        }

        // The stream is closed: the run stops (the next one would otherwise wait out the sleep, past the client's
        // 100 s, and then see 'finished').
        var after = await (await A.PostJsonAsync($"/v1/sandboxes/{id}/code", new { code = "globals().get('left', 'stopped')" })).JsonAsync();
        Assert.Equal("'stopped'", after.GetProperty("value").GetString());
        await A.DeleteAsync($"/v1/sandboxes/{id}");
    }

    [Fact]
    public async Task Commands_RunWithArgvStdinAndShellStrings()
    {
        var id = await A.CreateSandboxAsync();
        var shell = await (await A.PostJsonAsync($"/v1/sandboxes/{id}/commands", new { cmd = "echo hello; exit 3" })).JsonAsync();
        Assert.Equal("hello\n", shell.GetProperty("stdout").GetString());
        Assert.Equal(3, shell.GetProperty("exitCode").GetInt32());
        Assert.Equal("runtime_error", shell.GetProperty("status").GetString());

        var argv = await (await A.PostJsonAsync($"/v1/sandboxes/{id}/commands", new { argv = new[] { "cat" }, stdin = "from stdin" })).JsonAsync();
        Assert.Equal("from stdin", argv.GetProperty("stdout").GetString());
        await A.DeleteAsync($"/v1/sandboxes/{id}");
    }

    [Fact]
    public async Task Commands_SeeTheEnvOfTheRequest()
    {
        var id = await A.CreateSandboxAsync();
        var result = await (await A.PostJsonAsync($"/v1/sandboxes/{id}/commands", new { argv = new[] { "printenv", "GREETING" }, env = new Dictionary<string, string> { ["GREETING"] = "hello" } })).JsonAsync();
        Assert.Equal("hello\n", result.GetProperty("stdout").GetString());
        await A.DeleteAsync($"/v1/sandboxes/{id}");
    }

    [Fact]
    public async Task Files_UploadDownloadListStatMkdirDelete_WithLargeBinaryContent()
    {
        var id = await A.CreateSandboxAsync();
        var content = RandomNumberGenerator.GetBytes(2 * 1024 * 1024 + 12345); // three upload chunks
        using var mkdir = await A.PostAsync($"/v1/sandboxes/{id}/files/mkdir?path=data", null);
        Assert.Equal(HttpStatusCode.Created, mkdir.StatusCode);

        using var body = new ByteArrayContent(content);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var info = await (await A.PutAsync($"/v1/sandboxes/{id}/files?path=data/blob.bin", body)).JsonAsync();
        Assert.Equal(content.Length, info.GetProperty("size").GetInt64());

        var downloaded = await A.GetByteArrayAsync($"/v1/sandboxes/{id}/files?path=data/blob.bin");
        Assert.Equal(content, downloaded);

        var listing = await (await A.GetAsync($"/v1/sandboxes/{id}/files/list?path=data")).JsonAsync();
        Assert.Equal(["blob.bin"], listing.EnumerateArray().Select(f => f.GetProperty("name").GetString()));
        var stat = await (await A.GetAsync($"/v1/sandboxes/{id}/files/stat?path=data")).JsonAsync();
        Assert.True(stat.GetProperty("isDirectory").GetBoolean());

        await (await A.DeleteAsync($"/v1/sandboxes/{id}/files?path=data")).ProblemAsync(HttpStatusCode.Conflict, "directory_not_empty");
        using var removed = await A.DeleteAsync($"/v1/sandboxes/{id}/files?path=data&recursive=true");
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        await (await A.GetAsync($"/v1/sandboxes/{id}/files?path=data/blob.bin")).ProblemAsync(HttpStatusCode.NotFound, "file_not_found");
        await A.DeleteAsync($"/v1/sandboxes/{id}");
    }

    [Fact]
    public async Task Execute_RunsOnceWithStdinAndArgs()
    {
        var result = await (await A.PostJsonAsync("/v1/execute", new
        {
            language = "python",
            code = "import sys\nprint(input(), sys.argv[1:])",
            stdin = "in\n",
            args = new[] { "a", "b" },
        })).JsonAsync();
        Assert.Equal("ok", result.GetProperty("status").GetString());
        Assert.Equal("in ['a', 'b']\n", result.GetProperty("stdout").GetString());

        var timeout = await (await A.PostJsonAsync("/v1/execute", new { language = "python", code = "while True: pass", limits = new { runTimeoutMs = 1000 } })).JsonAsync();
        Assert.Equal("timeout", timeout.GetProperty("status").GetString());
    }
}
