using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Hosting;
using SoulBox.Silo.Hosting;

namespace SoulBox.Silo.Tests;

/// <summary>Templates registered in configuration (SoulBox:Templates), on a real node with the local Docker engine.
/// The images are built here FROM soulbox/python:latest with one RUN step (no network, a second or two).</summary>
public sealed class CustomTemplateTests : IAsyncLifetime
{
    private const string NodeName = "tpltest";
    private readonly string _prefix = $"soulbox-test-{Guid.NewGuid().ToString("N")[..8]}/";
    private string Marked => $"{_prefix}marked:1";
    private string Broken => $"{_prefix}broken:1";
    private string Missing => $"{_prefix}ghost:1";

    public async Task InitializeAsync()
    {
        await DockerAsync("FROM soulbox/python:latest\nRUN echo 'custom template marker' > /opt/marker.txt\n", "build", "-q", "-t", Marked, "-");
        // No dynamic loader: the agent (and ldd, a bash script) cannot start, as in an image whose glibc is too old.
        await DockerAsync("FROM soulbox/python:latest\nRUN rm /lib64/ld-linux-x86-64.so.2\n", "build", "-q", "-t", Broken, "-");
    }

    [Fact]
    public async Task ARegisteredTemplate_IsListed_CreatesSandboxesThatRunCode_AndIsPrewarmedOnDemand()
    {
        await using var node = OwnNode.Start(NodeName, new Dictionary<string, string?>
        {
            ["SoulBox:Templates:marked:Image"] = Marked,
            ["SoulBox:Templates:marked:Language"] = "python",
            ["SoulBox:Templates:marked:User"] = "analyst",
            ["SoulBox:Templates:marked:Home"] = "/home/analyst",
            ["SoulBox:Templates:marked:MemoryMb"] = "256",
            ["SoulBox:Templates:ghost:Image"] = Missing,
            ["SoulBox:Templates:ghost:Language"] = "python",
            ["SoulBox:Templates:broken:Image"] = Broken,
            ["SoulBox:Templates:broken:Language"] = "python",
            // The image has Python only: a template that declares JavaScript in it is refused, naming the check.
            ["SoulBox:Templates:nonode:Image"] = Marked,
            ["SoulBox:Templates:nonode:Language"] = "javascript",
            // No warm containers of the built-in templates: only demand warms, and the machine stays quiet.
            ["SoulBox:Pool:MinWarmPerTemplate"] = "0",
        });
        using var tenant = node.Client(OwnNode.TenantKey);
        // A registered template whose image is missing or cannot run the agent leaves the node ready.
        await node.WaitForReadyAsync(HttpStatusCode.OK, TimeSpan.FromSeconds(60));

        var templates = (await (await tenant.GetAsync("/v1/templates")).JsonAsync()).EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!);
        var marked = templates["marked"];
        Assert.True(marked.GetProperty("available").GetBoolean());
        Assert.True(marked.GetProperty("custom").GetBoolean());
        Assert.Equal(Marked, marked.GetProperty("image").GetString());
        Assert.Equal("analyst", marked.GetProperty("user").GetString());
        Assert.Equal("/home/analyst", marked.GetProperty("home").GetString());
        Assert.Equal(["python"], marked.GetProperty("languages").EnumerateArray().Select(l => l.GetString()));
        Assert.True(templates["python"].GetProperty("available").GetBoolean());
        Assert.False(templates["python"].GetProperty("custom").GetBoolean());
        Assert.False(templates["ghost"].GetProperty("available").GetBoolean());
        Assert.Contains($"No image '{Missing}' on node '{NodeName}'", templates["ghost"].GetProperty("unavailableReason").GetString());
        Assert.False(templates["broken"].GetProperty("available").GetBoolean());
        Assert.Contains("needs glibc >= 2.34", templates["broken"].GetProperty("unavailableReason").GetString());
        Assert.False(templates["nonode"].GetProperty("available").GetBoolean());
        Assert.StartsWith($"Template 'nonode' (image '{Marked}') cannot run javascript: `node --version` failed in the image:", templates["nonode"].GetProperty("unavailableReason").GetString());

        using (var response = await tenant.PostJsonAsync("/v1/sandboxes", new { template = "marked" }))
        {
            var sandbox = await response.JsonAsync(HttpStatusCode.Created);
            Assert.Equal(256, sandbox.GetProperty("memoryMb").GetInt32());
            var id = sandbox.GetProperty("id").GetString()!;
            using var run = await tenant.PostJsonAsync($"/v1/sandboxes/{id}/code", new
            {
                code = "import getpass, os\nprint(open('/opt/marker.txt').read().strip())\nprint(getpass.getuser(), os.getcwd(), os.environ['HOME'])",
            });
            Assert.Equal("custom template marker\nanalyst /home/analyst /home/analyst\n", (await run.JsonAsync()).GetProperty("stdout").GetString());
            using var command = await tenant.PostJsonAsync($"/v1/sandboxes/{id}/commands", new { cmd = "touch notes.txt && ls -l notes.txt | awk '{print $3}'" });
            Assert.Equal("analyst\n", (await command.JsonAsync()).GetProperty("stdout").GetString());
        }

        // Demand: with SoulBox:Templates:marked:MinWarm at 0 the pool holds none until creations come at more than about
        // one a minute (the predictor ignores a lone creation); a second one in a row makes the pool warm one.
        using (var second = await tenant.PostJsonAsync("/v1/sandboxes", new { template = "marked" }))
        {
            await second.JsonAsync(HttpStatusCode.Created);
        }

        var waited = Stopwatch.StartNew();
        while (await DockerAsync(null, "ps", "-q", "--filter", $"label=soulbox.node={NodeName}", "--filter", "label=soulbox.template=marked", "--filter", "label=soulbox.purpose=warm") == "")
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), "no warm 'marked' container within 30 s of two sandboxes of it being created");
            await Task.Delay(250);
        }

        using (var missing = await tenant.PostJsonAsync("/v1/sandboxes", new { template = "ghost" }))
        {
            var problem = await missing.ProblemAsync(HttpStatusCode.BadRequest, "validation");
            Assert.Equal("template", problem.GetProperty("field").GetString());
            Assert.Contains($"No image '{Missing}'", problem.GetProperty("detail").GetString());
        }

        using (var broken = await tenant.PostJsonAsync("/v1/sandboxes", new { template = "broken" }))
        {
            var detail = (await broken.ProblemAsync(HttpStatusCode.BadRequest, "validation")).GetProperty("detail").GetString();
            Assert.Contains("Template 'broken'", detail);
            Assert.Contains("cannot run the SoulBox agent: it needs glibc >= 2.34 and the image has no glibc", detail);
        }
    }

    [Fact]
    public async Task ABadRegistration_FailsStartUp_NamingTheSetting()
    {
        var builder = WebApplication.CreateBuilder(["--SoulBox:NodeName", "tplbad", "--SoulBox:Templates:datasci:Language", "python", "--SoulBox:Templates:datasci:MemoryMb", "999999"]);
        builder.AddSoulBoxSilo();
        await using var app = builder.Build();
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("SoulBox:Templates:datasci:MemoryMb must be between 32 and SoulBox:Sandbox:MaxMemoryMb (4096); got 999999.", error.Message);
    }

    public async Task DisposeAsync()
    {
        foreach (var tag in new[] { Marked, Broken })
        {
            await DockerAsync(null, "rmi", "-f", tag);
        }
    }

    private static async Task<string> DockerAsync(string? stdin, params string[] args)
    {
        var start = new ProcessStartInfo("docker") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"docker {string.Join(' ', args)} failed: {await process.StandardError.ReadToEndAsync()}");
        return output.Trim();
    }
}
