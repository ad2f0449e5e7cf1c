using SoulBox.Agent.Protocol;

namespace SoulBox.Agent;

/// <summary>Command-line settings of the agent; defaults fit the container layout
/// (socket in /run/soulbox, work dir /home/sandbox, user "sandbox", helper and kernels next to the binary). The silo
/// passes --work-dir and --user from the template (Templates.Home / Templates.User): E2B's templates use /home/user.</summary>
internal sealed record AgentOptions
{
    public string SocketPath { get; init; } = Path.Combine(AgentProtocol.ContainerRunDirectory, AgentProtocol.SocketFileName);
    public string WorkDirectory { get; init; } = AgentProtocol.WorkDirectory;
    public string TmpDirectory { get; init; } = "/tmp";
    /// <summary>The sandbox user's name (its USER variable; the silo writes the same into /etc/passwd).</summary>
    public string UserName { get; init; } = AgentProtocol.UserName;
    public int Uid { get; init; } = AgentProtocol.SandboxUserId;
    public int Gid { get; init; } = AgentProtocol.SandboxGroupId;
    public string ExecHelperPath { get; init; } = Path.Combine(AppContext.BaseDirectory, "soulbox-exec");
    public string KernelsDirectory { get; init; } = Path.Combine(AppContext.BaseDirectory, "kernels");
    /// <summary>Agent-private scratch (helper result files); default: the socket's directory.</summary>
    public string? StateDirectory { get; init; }
    /// <summary>Shared-memory directory the reset empties (--shm-dir; "none" = none). Default /dev/shm,
    /// the container's own tmpfs; the agent tests pass a temporary directory so the host's is never touched.</summary>
    public string? ShmDirectory { get; init; } = "/dev/shm";
    /// <summary>POSIX message-queue filesystem the reset empties (--mqueue-dir; "none" = none). Default
    /// /dev/mqueue, used only when it exists (Docker mounts the container's own there).</summary>
    public string? MqueueDirectory { get; init; } = "/dev/mqueue";
    /// <summary>The container is a one-shot executor (--executor): nothing but the current run belongs to
    /// the sandbox user, so a run is killed by killing every process of the uid, which cannot be outrun.</summary>
    public bool Executor { get; init; }
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
                "--user" => options with { UserName = Next() },
                "--uid" => options with { Uid = int.Parse(Next()) },
                "--gid" => options with { Gid = int.Parse(Next()) },
                "--exec-helper" => options with { ExecHelperPath = Next() },
                "--kernels-dir" => options with { KernelsDirectory = Next() },
                "--state-dir" => options with { StateDirectory = Next() },
                "--shm-dir" => options with { ShmDirectory = NoneToNull(Next()) },
                "--mqueue-dir" => options with { MqueueDirectory = NoneToNull(Next()) },
                "--executor" => options with { Executor = true },
                "--version" => options with { PrintVersion = true },
                _ => throw new ArgumentException($"Unknown argument '{args[i]}'."),
            };
        }

        return options;
    }

    private static string? NoneToNull(string value) => value == "none" ? null : value;
}
