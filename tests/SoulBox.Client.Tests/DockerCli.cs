using System.Diagnostics;

namespace SoulBox.Client.Tests;

/// <summary>The docker CLI, for doing to containers what happens to them in real life (docker kill).</summary>
internal static class DockerCli
{
    public static async Task<string> RunAsync(params string[] args)
    {
        var info = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return $"{await stdout}{await stderr}".Trim();
    }
}
