using System.Runtime.InteropServices;

namespace SoulBox.Agent.Files;

/// <summary>A file-system call failed with <see cref="Errno"/>. Carries no path: the files API turns it
/// into an AgentException that names the caller's path only (see FileErrors).</summary>
internal sealed class ErrnoException(int errno, string operation)
    : Exception($"{operation}: {Marshal.GetPInvokeErrorMessage(errno)}")
{
    public int Errno { get; } = errno;

    /// <summary>Returns <paramref name="result"/>, or throws with the call's errno when it is negative.</summary>
    public static int Check(int result, string operation) =>
        result >= 0 ? result : throw new ErrnoException(FsCalls.LastError, operation);
}
