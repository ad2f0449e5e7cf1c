using System.Runtime.InteropServices;

namespace SoulBox.Agent.Exec;

/// <summary>The few libc calls .NET does not expose: signals to arbitrary pids.</summary>
internal static partial class Libc
{
    public const int SIGKILL = 9;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);
}
