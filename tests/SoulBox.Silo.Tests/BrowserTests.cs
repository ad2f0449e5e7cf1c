using System.Diagnostics;

namespace SoulBox.Silo.Tests;

/// <summary>Loads the API reference page and the Orleans Dashboard in Debian's headless Chromium (loopback only)
/// and checks that they rendered: the DOM after scripts ran holds what only the rendered app writes.</summary>
[Collection(SiloCollection.Name)]
public sealed class BrowserTests(SiloFixture node)
{
    [Fact]
    public async Task ApiReferencePage_RendersInAHeadlessBrowser()
    {
        var dom = await DumpDomAsync(new Uri(node.BaseAddress, "/reference/"));
        Assert.Contains("SoulBox API", dom);
        Assert.Contains("/v1/sandboxes", dom); // written by Scalar from the OpenAPI document, not in the served HTML
    }

    [Fact]
    public async Task Dashboard_RendersInAHeadlessBrowser()
    {
        var dom = await DumpDomAsync(new Uri(node.BaseAddress, "/dashboard/"));
        Assert.Contains("Silos", dom); // the dashboard's navigation, drawn by its script
        Assert.Contains("Grains", dom);
    }

    private static async Task<string> DumpDomAsync(Uri url)
    {
        Assert.True(IPAddress.IsLoopback(IPAddress.Parse(url.Host)), "the browser test only ever loads loopback pages");
        var chromium = await EnsureChromiumAsync();
        var profile = Directory.CreateTempSubdirectory("soulbox-chromium-");
        try
        {
            var start = new ProcessStartInfo(chromium)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                ArgumentList =
                {
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-default-apps", $"--user-data-dir={profile.FullName}",
                    "--virtual-time-budget=10000", "--dump-dom", url.ToString(),
                },
            };
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"chromium did not finish rendering {url} in 90 s");
            }

            return await stdout;
        }
        finally
        {
            try
            {
                profile.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Debian's chromium, installed by scripts/ensure-chromium.sh when missing.</summary>
    private static async Task<string> EnsureChromiumAsync()
    {
        const string path = "/usr/bin/chromium";
        if (File.Exists(path))
        {
            return path;
        }

        var script = FindScript();
        using var install = Process.Start(new ProcessStartInfo("bash", [script]))!;
        await install.WaitForExitAsync();
        Assert.True(install.ExitCode == 0 && File.Exists(path), $"{script} could not install chromium (exit {install.ExitCode})");
        return path;
    }

    private static string FindScript()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "scripts", "ensure-chromium.sh");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("scripts/ensure-chromium.sh not found above the test directory");
    }
}
