using System.Runtime.InteropServices;

namespace SoulBox.Agent.Files;

/// <summary>The Linux calls behind confined file access: openat2 and the *at family, which act relative
/// to an open directory instead of a path string, plus the per-thread file-system identity. x86_64 only
/// (the agent is published for linux-x64): openat2, getdents64 and newfstatat go through syscall(2)
/// by number because glibc wraps openat2 only from 2.40 on and the runtime images have 2.36.</summary>
internal static unsafe partial class FsCalls
{
    public const int O_RDONLY = 0;
    public const int O_WRONLY = 0x1;
    public const int O_CREAT = 0x40;
    public const int O_NOCTTY = 0x100;
    public const int O_APPEND = 0x400;
    public const int O_NONBLOCK = 0x800;
    public const int O_DIRECTORY = 0x10000;
    public const int O_NOFOLLOW = 0x20000;
    public const int O_CLOEXEC = 0x80000;
    public const int O_PATH = 0x200000;

    public const int AT_SYMLINK_NOFOLLOW = 0x100;
    public const int AT_REMOVEDIR = 0x200;
    public const int AT_EMPTY_PATH = 0x1000;

    public const ulong RESOLVE_NO_XDEV = 0x01;
    public const ulong RESOLVE_NO_MAGICLINKS = 0x02;
    public const ulong RESOLVE_BENEATH = 0x08;

    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int ENXIO = 6;
    public const int EAGAIN = 11;
    public const int EACCES = 13;
    public const int EEXIST = 17;
    public const int EXDEV = 18;
    public const int ENOTDIR = 20;
    public const int EISDIR = 21;
    public const int EINVAL = 22;
    public const int ENOSPC = 28;
    public const int EROFS = 30;
    public const int ENAMETOOLONG = 36;
    public const int ENOSYS = 38;
    public const int ENOTEMPTY = 39;
    public const int ELOOP = 40;
    public const int EDQUOT = 122;

    private const int F_GETFL = 3;
    private const int F_SETFL = 4;
    private const long SYS_getdents64 = 217;
    private const long SYS_newfstatat = 262;
    private const long SYS_openat2 = 437;

    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    /// <summary>openat2(2); returns the fd or -1 with errno set.</summary>
    public static int OpenAt2(int directory, ReadOnlySpan<byte> pathZ, int flags, int mode, ulong resolve)
    {
        var how = new OpenHow { Flags = (ulong)(uint)flags, Mode = (flags & O_CREAT) != 0 ? (ulong)mode : 0, Resolve = resolve };
        fixed (byte* path = pathZ)
        {
            return (int)Syscall(SYS_openat2, directory, (nint)path, (nint)(&how), sizeof(OpenHow));
        }
    }

    public static int OpenAt(int directory, ReadOnlySpan<byte> pathZ, int flags, int mode = 0)
    {
        fixed (byte* path = pathZ)
        {
            return OpenAtNative(directory, path, flags, mode);
        }
    }

    /// <summary>fstatat(2) into <paramref name="stat"/>; 0 or -1 with errno set.</summary>
    public static int StatAt(int directory, ReadOnlySpan<byte> pathZ, int flags, out FileStat stat)
    {
        var buffer = stackalloc byte[FileStat.NativeSize];
        int result;
        fixed (byte* path = pathZ)
        {
            result = (int)Syscall(SYS_newfstatat, directory, (nint)path, (nint)buffer, flags);
        }

        stat = result == 0 ? FileStat.FromNative(new ReadOnlySpan<byte>(buffer, FileStat.NativeSize)) : default;
        return result;
    }

    /// <summary>fstat(2) of an open fd (also an O_PATH one).</summary>
    public static int Stat(int fd, out FileStat stat) => StatAt(fd, "\0"u8, AT_EMPTY_PATH, out stat);

    /// <summary>A NUL-terminated UTF-8 copy of <paramref name="value"/> for the calls above.</summary>
    public static byte[] Utf8Z(string value)
    {
        var bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(value) + 1];
        System.Text.Encoding.UTF8.GetBytes(value, bytes);
        return bytes;
    }

    public static int LastError => Marshal.GetLastPInvokeError();

    public static int GetDents(int fd, Span<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            return (int)Syscall(SYS_getdents64, fd, (nint)start, buffer.Length, 0);
        }
    }

    public static int UnlinkAt(int directory, ReadOnlySpan<byte> nameZ, int flags)
    {
        fixed (byte* name = nameZ)
        {
            return UnlinkAtNative(directory, name, flags);
        }
    }

    public static int RenameAt(int sourceDirectory, ReadOnlySpan<byte> sourceNameZ, int destinationDirectory, ReadOnlySpan<byte> destinationNameZ)
    {
        fixed (byte* source = sourceNameZ)
        fixed (byte* destination = destinationNameZ)
        {
            return RenameAtNative(sourceDirectory, source, destinationDirectory, destination);
        }
    }

    public static int MakeDirectoryAt(int directory, ReadOnlySpan<byte> nameZ, int mode)
    {
        fixed (byte* name = nameZ)
        {
            return MakeDirectoryAtNative(directory, name, mode);
        }
    }

    /// <summary>Clears O_NONBLOCK (set while opening so a FIFO cannot block) before the fd is used for I/O.</summary>
    public static int ClearNonBlocking(int fd)
    {
        var flags = Fcntl(fd, F_GETFL, 0);
        return flags < 0 ? flags : Fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    }

    /// <summary>realpath(3), or null when the path does not exist; used once per root at start.</summary>
    public static string? RealPath(string path)
    {
        var resolved = RealPathNative(Utf8Z(path), 0);
        if (resolved == 0)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            Free(resolved);
        }
    }

    [LibraryImport("libc", EntryPoint = "realpath")]
    private static partial nint RealPathNative(byte[] path, nint resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(nint pointer);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, nint a1, nint a2, nint a3, nint a4);

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true)]
    private static partial int OpenAtNative(int directory, byte* path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "unlinkat", SetLastError = true)]
    private static partial int UnlinkAtNative(int directory, byte* name, int flags);

    [LibraryImport("libc", EntryPoint = "renameat", SetLastError = true)]
    private static partial int RenameAtNative(int sourceDirectory, byte* source, int destinationDirectory, byte* destination);

    [LibraryImport("libc", EntryPoint = "mkdirat", SetLastError = true)]
    private static partial int MakeDirectoryAtNative(int directory, byte* name, int mode);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    public static partial int ChangeMode(int fd, int mode);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    public static partial int Truncate(int fd, long length);

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    public static partial long Seek(int fd, long offset, int whence);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    /// <summary>Per-thread in glibc (unlike setuid, it is not broadcast to the other threads).</summary>
    [LibraryImport("libc", EntryPoint = "setfsuid")]
    public static partial int SetFsUid(int uid);

    [LibraryImport("libc", EntryPoint = "setfsgid")]
    public static partial int SetFsGid(int gid);

    /// <summary>The raw system call: unlike glibc's setresuid/seteuid wrappers (which broadcast to every thread), it
    /// changes only the calling thread's credentials.</summary>
    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall3(long number, long a, long b, long c);

    [LibraryImport("libc", EntryPoint = "syscall")]
    private static partial long Syscall0(long number);

    private const long SysSetResUid = 117, SysSetResGid = 119, SysGetEuid = 107, SysGetEgid = 108;

    /// <summary>Sets only this thread's effective uid (real and saved stay root, so it can switch back; the sandbox
    /// user can neither signal nor trace a thread whose real and saved uids are root's).</summary>
    public static int SetThreadEffectiveUid(int uid) => (int)Syscall3(SysSetResUid, -1, uid, -1);

    public static int SetThreadEffectiveGid(int gid) => (int)Syscall3(SysSetResGid, -1, gid, -1);

    public static int ThreadEffectiveUid() => (int)Syscall0(SysGetEuid);

    public static int ThreadEffectiveGid() => (int)Syscall0(SysGetEgid);

    /// <summary>Process-wide (glibc broadcasts it to every thread).</summary>
    [LibraryImport("libc", EntryPoint = "setgroups", SetLastError = true)]
    public static partial int SetGroups(nint count, nint list);
}
