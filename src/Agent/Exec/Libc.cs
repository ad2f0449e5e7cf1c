using System.Runtime.InteropServices;

namespace SoulBox.Agent.Exec;

/// <summary>The few libc calls .NET does not expose: signals to arbitrary pids, chown, realpath.</summary>
internal static partial class Libc
{
    public const int SIGKILL = 9;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "lchown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int LChown(string path, int uid, int gid);

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial IntPtr RealPathNative(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(IntPtr pointer);

    /// <summary>Canonical path with every symlink resolved, or null when the path does not exist.</summary>
    public static string? RealPath(string path)
    {
        var pointer = RealPathNative(path, IntPtr.Zero);
        if (pointer == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(pointer);
        }
        finally
        {
            Free(pointer);
        }
    }
}
