using System.Diagnostics;

namespace SoulBox.Cluster.Tests.Reaping;

/// <summary>The docker command line, as an operator would check what a cluster left on the engine.</summary>
internal static class DockerCli
{
    public static async Task<string> RunAsync(params string[] args) => await RunWithInputAsync(null, args);

    public static async Task<string> RunWithInputAsync(string? stdin, params string[] args)
    {
        var start = new ProcessStartInfo("docker")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start docker");
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }

        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0
            ? (await stdout).Trim()
            : throw new InvalidOperationException($"docker {string.Join(' ', args)} failed ({process.ExitCode}): {await stderr}");
    }

    /// <summary>Ids of the containers (any state) with every one of the labels ("key=value" or "key").</summary>
    public static async Task<IReadOnlyList<string>> ContainersAsync(params string[] labels)
    {
        var args = new List<string> { "ps", "-aq", "--no-trunc" };
        foreach (var label in labels)
        {
            args.AddRange(["--filter", $"label={label}"]);
        }

        var output = await RunAsync([.. args]);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    public static async Task<string> LabelAsync(string container, string label) =>
        await RunAsync("inspect", "--format", $"{{{{index .Config.Labels \"{label}\"}}}}", container);

    public static async Task<bool> ExistsAsync(string container)
    {
        try
        {
            await RunAsync("inspect", "--format", "{{.Id}}", container);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Removes what a test created, by the label only it set.</summary>
    public static async Task RemoveAllAsync(string label)
    {
        var ids = await ContainersAsync(label);
        if (ids.Count > 0)
        {
            await RunAsync(["rm", "-f", .. ids]);
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or <paramref name="limit"/> passes; returns how long it took.</summary>
    public static async Task<TimeSpan> WaitUntilAsync(Func<Task<bool>> condition, TimeSpan limit, Func<string> whatWasAwaited)
    {
        var waited = Stopwatch.StartNew();
        while (!await condition())
        {
            if (waited.Elapsed > limit)
            {
                throw new TimeoutException($"after {limit.TotalSeconds:F0} s: {whatWasAwaited()}");
            }

            await Task.Delay(250);
        }

        return waited.Elapsed;
    }
}
