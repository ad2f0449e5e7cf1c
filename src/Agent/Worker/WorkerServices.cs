using SoulBox.Agent.Exec;
using SoulBox.Agent.Files;

namespace SoulBox.Agent.Worker;

/// <summary>What every handler shares, agent-wide (kernels outlive connections).</summary>
internal sealed class WorkerServices
{
    public WorkerServices(AgentOptions options)
    {
        Options = options;
        Directory.CreateDirectory(options.EffectiveStateDirectory);
        Paths = new SandboxPaths(options.WorkDirectory, options.TmpDirectory);
        Files = new SandboxFileSystem(Paths, options.Uid, options.Gid);
        // File operations run as the sandbox user (setfsuid/setfsgid); root's supplementary groups would
        // still count in their permission checks, and the agent needs none of them.
        if (!FsIdentity.DropSupplementaryGroups())
        {
            AgentLog.Info("could not drop supplementary groups (not running as root?)");
        }

        Launcher = new ProcessLauncher(options.ExecHelperPath, options.EffectiveStateDirectory, options.Uid, options.Gid);
        Kernels = new KernelRegistry(this, options.KernelsDirectory);
    }

    public AgentOptions Options { get; }

    public SandboxPaths Paths { get; }

    public SandboxFileSystem Files { get; }

    public ProcessLauncher Launcher { get; }

    public KernelRegistry Kernels { get; }

    /// <summary>Kills a run (timeout, cancel, kernel stop) and waits for its helper to exit; false when that
    /// did not happen within <see cref="RunKiller.Grace"/>.</summary>
    public Task<bool> KillRunAsync(SandboxProcess process) => RunKiller.KillAsync(this, process);

    /// <summary>The clean environment every sandbox process starts from, plus the caller's additions.</summary>
    public Dictionary<string, string> BuildEnvironment(IReadOnlyDictionary<string, string>? extra)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ["HOME"] = Paths.WorkDirectory,
            ["LANG"] = "C.UTF-8",
            ["USER"] = Options.UserName,
        };
        if (extra is not null)
        {
            foreach (var (name, value) in extra)
            {
                environment[name] = value;
            }
        }

        return environment;
    }

    /// <summary>A working directory for a process: confined like file paths and existing. The helper
    /// then chdirs to it by path, as the sandbox user: a confined check is enough (see ResolveDirectory).</summary>
    public string ResolveWorkingDirectory(string? cwd) => Files.ResolveDirectory(cwd);
}
