using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using SoulBox.Grains.Containers;
using SoulBox.Grains.Hosting;

namespace SoulBox.Grains.Tests;

/// <summary>Which images a node offers as templates (real Docker): only those it knows how to run. An image on the
/// same engine that carries the template label for a template this build does not know (a newer build's language
/// image, an experiment) must not turn up in listings, placement or the warm pool, unless an operator registers it
/// (SoulBox:Templates), under the name it is registered with.</summary>
public sealed class TemplateDiscoveryTests : IAsyncLifetime
{
    private readonly string _prefix = $"soulbox-test-{Guid.NewGuid().ToString("N")[..8]}/";
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly List<string> _tags = [];

    public async Task InitializeAsync()
    {
        await DockerAsync(null, "tag", "soulbox/python:latest", $"{_prefix}python:latest");
        _tags.Add($"{_prefix}python:latest");
        // A labelled image for a template SoulBox has no plan for: no RUN step, so it builds in a moment.
        await DockerAsync("FROM soulbox/python:latest\nLABEL soulbox.template=foreign soulbox.language=foreign\n", "build", "-q", "-t", $"{_prefix}foreign:latest", "-");
        _tags.Add($"{_prefix}foreign:latest");
    }

    [Fact]
    public async Task OnlyTemplatesThisBuildKnows_AreListed()
    {
        using var runtime = Runtime(new CustomTemplatesOptions());

        var templates = await runtime.ListTemplatesAsync(CancellationToken.None);
        var ids = await runtime.ListTemplateImageIdsAsync(CancellationToken.None);

        Assert.Equal(["python"], templates.Select(t => t.Name));
        Assert.Equal(["python"], ids.Keys);
    }

    [Fact]
    public async Task ALabelledImage_IsListedOnceRegistered_UnderTheNameItIsRegisteredWith()
    {
        var custom = new CustomTemplatesOptions();
        custom.Templates["mine"] = new CustomTemplateOptions { Image = $"{_prefix}foreign:latest", Language = "python" };
        using var runtime = Runtime(custom);

        var templates = await runtime.ListTemplatesAsync(CancellationToken.None);
        var ids = await runtime.ListTemplateImageIdsAsync(CancellationToken.None);

        Assert.Equal(["mine", "python"], templates.Select(t => t.Name));
        var mine = templates[0];
        Assert.True(mine.Available, mine.UnavailableReason);
        Assert.True(mine.Custom);
        Assert.Equal($"{_prefix}foreign:latest", mine.Image);
        Assert.Equal(["mine", "python"], ids.Keys.Order());
    }

    private DockerContainerRuntime Runtime(CustomTemplatesOptions custom) => StandaloneContainerRuntime.Create(
        new ContainerRuntimeOptions { ImagePrefix = _prefix, AgentDirectory = AgentArtifacts.Find() }, $"tpl-{_prefix[13..21]}", _services, custom);

    public async Task DisposeAsync()
    {
        foreach (var tag in _tags)
        {
            await DockerAsync(null, "rmi", tag);
        }

        await _services.DisposeAsync();
    }

    private static async Task DockerAsync(string? stdin, params string[] args)
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
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(process.ExitCode == 0, $"docker {string.Join(' ', args)} failed: {await output}{await error}");
    }
}
