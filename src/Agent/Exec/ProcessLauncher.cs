using System.Diagnostics;

namespace SoulBox.Agent.Exec;

/// <summary>Starts programs as the sandbox user through <c>soulbox-exec run</c>: .NET cannot drop
/// privileges between fork and exec, the static helper can.</summary>
internal sealed class ProcessLauncher(string helperPath, string stateDirectory, int uid, int gid)
{
    private long _sequence;

    public int Uid => uid;

    public int Gid => gid;

    public SandboxProcess Start(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> environment, string cwd, ProcessLimits limits)
    {
        var resultFile = Path.Combine(stateDirectory, $"exec-{Environment.ProcessId}-{Interlocked.Increment(ref _sequence)}.result");
        var info = new ProcessStartInfo(helperPath)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add("run");
        Add(info, "--result", resultFile);
        Add(info, "--uid", uid.ToString());
        Add(info, "--gid", gid.ToString());
        Add(info, "--cwd", cwd);
        if (limits.MaxOpenFiles > 0)
        {
            Add(info, "--nofile", limits.MaxOpenFiles.ToString());
        }

        if (limits.MaxFileBytes > 0)
        {
            Add(info, "--fsize", limits.MaxFileBytes.ToString());
        }

        if (limits.MaxProcesses > 0)
        {
            Add(info, "--nproc", limits.MaxProcesses.ToString());
        }

        // The helper starts as root with an EMPTY environment (nothing the caller chose may reach a root
        // process, not even GLIBC_TUNABLES); the program's environment travels as arguments and is
        // used only by the helper's final execve, after it dropped to the sandbox user.
        info.Environment.Clear();
        foreach (var (name, value) in environment)
        {
            if (name.Length == 0 || name.Contains('=', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal) || value.Contains('\0', StringComparison.Ordinal))
            {
                throw new Worker.AgentException(Protocol.AgentErrorCodes.BadRequest, $"Environment variable '{name}' has an invalid name or value.");
            }

            Add(info, "--env", $"{name}={value}");
        }

        info.ArgumentList.Add("--");
        foreach (var arg in argv)
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {helperPath}.");
        return new SandboxProcess(process, resultFile);
    }

    private static void Add(ProcessStartInfo info, string flag, string value)
    {
        info.ArgumentList.Add(flag);
        info.ArgumentList.Add(value);
    }
}
