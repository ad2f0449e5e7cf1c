namespace SoulBox.Grains.Hosting;

/// <summary>Finds the published agent (scripts/setup.sh puts it in artifacts/agent of the source tree).</summary>
internal static class AgentArtifacts
{
    public const string EnvironmentVariable = "SOULBOX_AGENT_DIR";

    public static string? Find()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnvironment)
        {
            return Path.GetFullPath(fromEnvironment);
        }

        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                var candidate = Path.Combine(directory.FullName, "artifacts", "agent");
                if (File.Exists(Path.Combine(candidate, "soulbox-agent")))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
