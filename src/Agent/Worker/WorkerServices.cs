using SoulBox.Agent.Exec;

namespace SoulBox.Agent.Worker;

/// <summary>What every handler shares, agent-wide (kernels outlive connections).</summary>
internal sealed class WorkerServices
{
    public WorkerServices(AgentOptions options)
    {
        Options = options;
        Directory.CreateDirectory(options.EffectiveStateDirectory);
        Paths = new SandboxPaths(options.WorkDirectory, options.TmpDirectory);
        Launcher = new ProcessLauncher(options.ExecHelperPath, options.EffectiveStateDirectory, options.Uid, options.Gid);
        Kernels = new KernelRegistry(this, options.KernelsDirectory);
    }

    public AgentOptions Options { get; }

    public SandboxPaths Paths { get; }

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
            ["USER"] = "sandbox",
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

    /// <summary>A working directory for a process: confined like file paths and existing.</summary>
    public string ResolveWorkingDirectory(string? cwd)
    {
        var resolved = Paths.Resolve(cwd);
        if (!Directory.Exists(resolved))
        {
            throw new AgentException(Protocol.AgentErrorCodes.NotFound, $"Working directory '{cwd}' does not exist.");
        }

        return resolved;
    }
}
