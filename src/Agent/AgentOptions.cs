using SoulBox.Agent.Protocol;

namespace SoulBox.Agent;

/// <summary>Command-line settings of the agent; defaults fit the container layout
/// (socket in /run/soulbox, work dir /home/sandbox, helper and kernels next to the binary).</summary>
internal sealed record AgentOptions
{
    public string SocketPath { get; init; } = Path.Combine(AgentProtocol.ContainerRunDirectory, AgentProtocol.SocketFileName);
    public string WorkDirectory { get; init; } = AgentProtocol.WorkDirectory;
    public string TmpDirectory { get; init; } = "/tmp";
    public int Uid { get; init; } = AgentProtocol.SandboxUserId;
    public int Gid { get; init; } = AgentProtocol.SandboxGroupId;
    public string ExecHelperPath { get; init; } = Path.Combine(AppContext.BaseDirectory, "soulbox-exec");
    public string KernelsDirectory { get; init; } = Path.Combine(AppContext.BaseDirectory, "kernels");
    /// <summary>Agent-private scratch (helper result files); default: the socket's directory.</summary>
    public string? StateDirectory { get; init; }
    public bool PrintVersion { get; init; }

    public string EffectiveStateDirectory => StateDirectory ?? Path.GetDirectoryName(Path.GetFullPath(SocketPath))!;

    public static string Version => typeof(AgentOptions).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public static AgentOptions Parse(string[] args)
    {
        var options = new AgentOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            options = args[i] switch
            {
                "--socket" => options with { SocketPath = Next() },
                "--work-dir" => options with { WorkDirectory = Next() },
                "--tmp-dir" => options with { TmpDirectory = Next() },
                "--uid" => options with { Uid = int.Parse(Next()) },
                "--gid" => options with { Gid = int.Parse(Next()) },
                "--exec-helper" => options with { ExecHelperPath = Next() },
                "--kernels-dir" => options with { KernelsDirectory = Next() },
                "--state-dir" => options with { StateDirectory = Next() },
                "--version" => options with { PrintVersion = true },
                _ => throw new ArgumentException($"Unknown argument '{args[i]}'."),
            };
        }

        return options;
    }
}
