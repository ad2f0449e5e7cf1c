namespace SoulBox.Cluster.Tests.Harness;

/// <summary>The docker command line against one engine (the host's, or a test's own dockerd by its socket), as an
/// operator would look at what a cluster left behind.</summary>
internal sealed class Containers(string? socket = null)
{
    public string? Socket => socket;

    /// <summary>Ids of the containers (any state) carrying the label ("key=value").</summary>
    public async Task<string[]> WithLabelAsync(string label)
    {
        var (code, stdout, stderr) = await Posix.RunAsync("docker", [.. HostArgs(), "ps", "-aq", "--no-trunc", "--filter", $"label={label}"], TimeSpan.FromSeconds(30));
        return code == 0 ? stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries) : throw new InvalidOperationException($"docker ps: {stderr}");
    }

    /// <summary>Ids of the running containers of a node.</summary>
    public async Task<string[]> RunningOfNodeAsync(string node)
    {
        var (code, stdout, stderr) = await Posix.RunAsync("docker",
            [.. HostArgs(), "ps", "-q", "--no-trunc", "--filter", $"label=soulbox.node={node}", "--filter", "status=running"], TimeSpan.FromSeconds(30));
        return code == 0 ? stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries) : throw new InvalidOperationException($"docker ps: {stderr}");
    }

    /// <summary>Removes every container of the node (by its label only a test's node carries).</summary>
    public async Task RemoveNodeAsync(string node)
    {
        var ids = await WithLabelAsync($"soulbox.node={node}");
        if (ids.Length > 0)
        {
            await Posix.RunAsync("docker", [.. HostArgs(), "rm", "-f", .. ids], TimeSpan.FromSeconds(60));
        }
    }

    private string[] HostArgs() => socket is null ? [] : ["-H", $"unix://{socket}"];
}
