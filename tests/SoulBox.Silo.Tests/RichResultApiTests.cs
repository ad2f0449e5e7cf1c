using System.Net.Http.Json;
using System.Text.Json;

namespace SoulBox.Silo.Tests;

/// <summary>Rich results, contexts and the E2B-style templates through SoulBox's own REST API, on real containers:
/// pandas and matplotlib come from the code-interpreter image.</summary>
[Collection(SiloCollection.Name)]
public sealed class RichResultApiTests(SiloFixture node)
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

    private HttpClient A => node.TenantA;

    private async Task<JsonElement> RunAsync(string id, string code, string? contextId = null, string? language = null) =>
        await (await A.PostJsonAsync($"/v1/sandboxes/{id}/code", new { code, contextId, language })).JsonAsync();

    private async Task<string> CommandAsync(string id, string cmd) =>
        (await (await A.PostJsonAsync($"/v1/sandboxes/{id}/commands", new { cmd })).JsonAsync()).GetProperty("stdout").GetString()!;

    private static void AssertPng(JsonElement result)
    {
        var png = Convert.FromBase64String(result.GetProperty("data").GetProperty("image/png").GetString()!);
        Assert.True(png.Length > 1000, $"a plot's PNG is more than {png.Length} bytes");
        Assert.Equal(PngSignature, png[..8]);
    }

    [Fact]
    public async Task PlainPython_HasOneMainResultWithOnlyTextPlain()
    {
        var id = await A.CreateSandboxAsync();
        var result = await RunAsync(id, "1 + 1");
        Assert.Equal("2", result.GetProperty("value").GetString());
        var main = Assert.Single(result.GetProperty("results").EnumerateArray());
        Assert.True(main.GetProperty("isMainResult").GetBoolean());
        Assert.Equal(["text/plain"], main.GetProperty("data").EnumerateObject().Select(p => p.Name));
        Assert.Equal("2", main.GetProperty("data").GetProperty("text/plain").GetString());

        var statement = await RunAsync(id, "x = 1");
        Assert.Equal(0, statement.GetProperty("results").GetArrayLength());
        await A.DeleteAsync($"/v1/sandboxes/{id}");
    }

    [Fact]
    public async Task Display_OfAReprHtmlObject_IsAResultBeforeTheMainOne()
    {
        var id = await A.CreateSandboxAsync();
        var result = await RunAsync(id, "class Bold:\n    def _repr_html_(self):\n        return '<b>x</b>'\ndisplay(Bold())\n'end'");
        var results = result.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(2, results.Count);
        Assert.False(results[0].GetProperty("isMainResult").GetBoolean());
        Assert.Equal("<b>x</b>", results[0].GetProperty("data").GetProperty("text/html").GetString());
        Assert.True(results[1].GetProperty("isMainResult").GetBoolean());
        Assert.Equal("'end'", results[1].GetProperty("data").GetProperty("text/plain").GetString());
        await A.DeleteAsync($"/v1/sandboxes/{id}");
    }

    [Fact]
    public async Task CodeInterpreter_DataFrameAsLastExpression_IsHtmlAndText()
    {
        var id = await A.CreateSandboxAsync("code-interpreter");
        var result = await RunAsync(id, "import pandas as pd\ndf = pd.DataFrame({'a': [1, 2], 'b': ['x', 'y']})\ndf");
        Assert.Equal("ok", result.GetProperty("status").GetString());
        var main = result.GetProperty("results").EnumerateArray().Single(r => r.GetProperty("isMainResult").GetBoolean());
        Assert.Contains("<table", main.GetProperty("data").GetProperty("text/html").GetString());
        Assert.Equal(result.GetProperty("value").GetString(), main.GetProperty("data").GetProperty("text/plain").GetString());
        Assert.Contains("a  b", result.GetProperty("value").GetString());
        await A.DeleteAsync($"/v1/sandboxes/{id}");
    }

    [Fact]
    public async Task CodeInterpreter_PltShow_IsAPngResult_StreamedAsADisplayEvent()
    {
        var id = await A.CreateSandboxAsync("code-interpreter");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/sandboxes/{id}/code")
        {
            Content = JsonContent.Create(new { code = "import matplotlib.pyplot as plt\nprint('before')\nplt.plot([1, 3, 2])\nplt.show()\nprint('after')" }),
        };
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await A.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var events = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e => (Name: e.Split('\n')[0]["event: ".Length..], Data: e.Split('\n')[1]["data: ".Length..]))
            .ToList();
        Assert.Equal(["stdout", "display", "stdout", "result", "end"], events.Select(e => e.Name));
        var display = JsonDocument.Parse(events[1].Data).RootElement;
        Assert.False(display.GetProperty("isMainResult").GetBoolean());
        AssertPng(display);
        var final = JsonDocument.Parse(events[3].Data).RootElement;
        var figure = Assert.Single(final.GetProperty("results").EnumerateArray());
        Assert.Equal(display.GetProperty("data").GetProperty("image/png").GetString(), figure.GetProperty("data").GetProperty("image/png").GetString());

        // Shown figures are closed: the next run has none.
        var next = await RunAsync(id, "import matplotlib.pyplot as plt\nlen(plt.get_fignums())");
        Assert.Equal("0", next.GetProperty("value").GetString());
        await A.DeleteAsync($"/v1/sandboxes/{id}");
    }

    [Fact]
    public async Task CodeInterpreter_AFigureLeftOpen_ComesBackAsPngAtTheCellsEnd()
    {
        var id = await A.CreateSandboxAsync("code-interpreter");
        var result = await RunAsync(id, "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.bar(['a', 'b'], [3, 5])\nNone");
        var figure = Assert.Single(result.GetProperty("results").EnumerateArray());
        Assert.False(figure.GetProperty("isMainResult").GetBoolean());
        Assert.StartsWith("<Figure size", figure.GetProperty("data").GetProperty("text/plain").GetString());
        AssertPng(figure);
        Assert.Equal("0", (await RunAsync(id, "len(plt.get_fignums())")).GetProperty("value").GetString());
        await A.DeleteAsync($"/v1/sandboxes/{id}");
    }

    [Fact]
    public async Task CodeInterpreter_RunsAsUserInHomeUser()
    {
        var id = await A.CreateSandboxAsync("code-interpreter");
        Assert.Equal("user\n/home/user\n/home/user\nuser\n", await CommandAsync(id, "whoami; echo $HOME; pwd; echo $USER"));
        Assert.Equal("login user /home/user\n", await CommandAsync(id, "/bin/bash -l -c 'echo login $(whoami) $PWD'"));
        Assert.Equal("'/home/user'", (await RunAsync(id, "import os\nos.getcwd()")).GetProperty("value").GetString());
        Assert.Equal("'/home/user'", (await RunAsync(id, "import os\nos.environ['HOME']")).GetProperty("value").GetString());

        await (await A.PostJsonAsync($"/v1/sandboxes/{id}/code", new { code = "open('/home/user/x.txt', 'w').write('hello')" })).JsonAsync();
        using var read = await A.GetAsync($"/v1/sandboxes/{id}/files?path=/home/user/x.txt");
        Assert.Equal("hello", await read.Content.ReadAsStringAsync());
        using var relative = await A.GetAsync($"/v1/sandboxes/{id}/files?path=x.txt");
        Assert.Equal("hello", await relative.Content.ReadAsStringAsync());
        await A.DeleteAsync($"/v1/sandboxes/{id}");
    }

    [Fact]
    public async Task Python_StillRunsAsSandboxInHomeSandbox()
    {
        var id = await A.CreateSandboxAsync();
        Assert.Equal("sandbox\n/home/sandbox\n/home/sandbox\n", await CommandAsync(id, "whoami; echo $HOME; pwd"));
        Assert.Equal("'/home/sandbox'", (await RunAsync(id, "import os\nos.getcwd()")).GetProperty("value").GetString());
        await A.DeleteAsync($"/v1/sandboxes/{id}");
    }

    [Fact]
    public async Task Base_RunsPythonAndJavaScript_AndTemplatesSayWhatTheyRun()
    {
        var id = await A.CreateSandboxAsync("base");
        Assert.Equal("3", (await RunAsync(id, "1 + 2")).GetProperty("value").GetString());
        Assert.Equal("'/home/user'", (await RunAsync(id, "process.cwd()", language: "javascript")).GetProperty("value").GetString());
        await A.DeleteAsync($"/v1/sandboxes/{id}");

        var templates = (await (await A.GetAsync("/v1/templates")).JsonAsync()).EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!);
        Assert.Equal(["python", "javascript"], templates["base"].GetProperty("languages").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal("user", templates["code-interpreter"].GetProperty("user").GetString());
        Assert.Equal("/home/user", templates["code-interpreter"].GetProperty("home").GetString());
        Assert.Equal("sandbox", templates["python"].GetProperty("user").GetString());
        Assert.Equal("/home/sandbox", templates["python"].GetProperty("home").GetString());

        // Piston lists one runtime per language: base and code-interpreter also run Python but are not runtimes.
        var runtimes = await (await A.GetAsync("/api/v2/runtimes")).JsonAsync();
        Assert.Single(runtimes.EnumerateArray(), r => r.GetProperty("language").GetString() == "python");
    }

    [Fact]
    public async Task Contexts_CreateWithCwd_List_Restart()
    {
        var id = await A.CreateSandboxAsync("code-interpreter");
        await CommandAsync(id, "mkdir -p /home/user/work");
        using var created = await A.PostJsonAsync($"/v1/sandboxes/{id}/contexts", new { language = "python", cwd = "/home/user/work" });
        var context = await created.JsonAsync(HttpStatusCode.Created);
        var contextId = context.GetProperty("id").GetString()!;
        Assert.Equal("/home/user/work", context.GetProperty("cwd").GetString());
        Assert.Equal("'/home/user/work'", (await RunAsync(id, "import os\nkept = 1\nos.getcwd()", contextId)).GetProperty("value").GetString());

        await RunAsync(id, "1");
        var listed = (await (await A.GetAsync($"/v1/sandboxes/{id}/contexts")).JsonAsync()).EnumerateArray()
            .ToDictionary(c => c.GetProperty("id").GetString()!, c => c.GetProperty("cwd").GetString());
        Assert.Equal("/home/user/work", listed[contextId]);
        Assert.Equal("/home/user", listed["default-python"]);

        using var restarted = await A.PostAsync($"/v1/sandboxes/{id}/contexts/{contextId}/restart", null);
        Assert.Equal(HttpStatusCode.NoContent, restarted.StatusCode);
        var after = await RunAsync(id, "kept", contextId);
        Assert.Equal("NameError", after.GetProperty("error").GetProperty("name").GetString());

        await (await A.PostAsync($"/v1/sandboxes/{id}/contexts/ctx-unknown/restart", null)).ProblemAsync(HttpStatusCode.NotFound, "context_not_found");
        await A.DeleteAsync($"/v1/sandboxes/{id}");
    }
}
