using Microsoft.Win32.SafeHandles;

namespace SoulBox.Agent.Files;

/// <summary>One writable root (the work directory or /tmp): its path as callers name it and an
/// O_PATH|O_DIRECTORY handle opened once at start. Every file operation resolves beneath that handle,
/// never through the path string, so no rename or symlink swap after start can redirect it.</summary>
internal sealed class SandboxRoot : IDisposable
{
    private readonly SafeFileHandle _handle;

    public SandboxRoot(string path)
    {
        Directory.CreateDirectory(path);
        // Resolved once, as root, before any user code runs; the handle is what counts from here on.
        Path = FsCalls.RealPath(path) ?? throw new DirectoryNotFoundException($"Sandbox root {path} does not exist.");
        var fd = ErrnoException.Check(
            FsCalls.OpenAt(-100 /* AT_FDCWD */, FsCalls.Utf8Z(Path), FsCalls.O_PATH | FsCalls.O_DIRECTORY | FsCalls.O_CLOEXEC),
            $"open root {Path}");
        _handle = new SafeFileHandle(fd, ownsHandle: true);
        ErrnoException.Check(FsCalls.Stat(fd, out var stat), "fstat root");
        Device = stat.Device;
        Segments = Path.Split('/', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>Absolute, without a trailing slash (e.g. /home/sandbox).</summary>
    public string Path { get; }

    /// <summary>The components of <see cref="Path"/>, to match normalised request paths against.</summary>
    public string[] Segments { get; }

    /// <summary>The root's file system: the fallback resolver refuses to cross onto another one.</summary>
    public ulong Device { get; }

    public int Fd => (int)_handle.DangerousGetHandle();

    public void Dispose() => _handle.Dispose();
}
