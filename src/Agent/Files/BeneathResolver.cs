using static SoulBox.Agent.Files.FsCalls;

namespace SoulBox.Agent.Files;

/// <summary>Opens a path beneath a root handle and never outside it, whatever the tree looks like at that
/// instant. With openat2 the kernel does it (RESOLVE_BENEATH: no absolute symlink, no ".." or relative
/// symlink that climbs above the root; RESOLVE_NO_MAGICLINKS: no /proc-style links; RESOLVE_NO_XDEV: no
/// mount crossing); relative symlinks that stay beneath the root are followed, intermediate and final.
/// Where the kernel has no openat2 (ENOSYS, before 5.6) it walks one component at a time with O_NOFOLLOW
/// and follows no symlink at all (answering as for an escape) and refuses another file system: stricter,
/// and small. Paths reach it lexically normalised (no "." or ".." segments, see SandboxPaths).</summary>
internal sealed class BeneathResolver(bool useOpenat2 = true)
{
    private const ulong Resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;

    // openat2 answers EAGAIN when a rename ran while it resolved a ".." beneath the root; it is safe to retry.
    private const int MaxRetries = 16;

    private volatile bool _useOpenat2 = useOpenat2;

    public bool UsesOpenat2 => _useOpenat2;

    /// <summary>Opens <paramref name="relative"/> ("" = the root) beneath <paramref name="root"/>; returns the fd
    /// (O_CLOEXEC added) or throws ErrnoException (EXDEV for every escape).</summary>
    public int Open(SandboxRoot root, string relative, int flags, int mode = 0)
    {
        flags |= O_CLOEXEC;
        if (_useOpenat2)
        {
            var path = Utf8Z(relative.Length == 0 ? "." : relative);
            for (var attempt = 0; ; attempt++)
            {
                var fd = OpenAt2(root.Fd, path, flags, mode, Resolve);
                if (fd >= 0)
                {
                    return fd;
                }

                var errno = LastError;
                if (errno == EAGAIN && attempt < MaxRetries)
                {
                    continue;
                }

                if (errno != ENOSYS)
                {
                    throw new ErrnoException(errno, "openat2");
                }

                _useOpenat2 = false;
                break;
            }
        }

        return Walk(root, relative, flags, mode);
    }

    private static int Walk(SandboxRoot root, string relative, int flags, int mode)
    {
        if (relative.Length == 0)
        {
            return ErrnoException.Check(OpenAt(root.Fd, ".\0"u8, flags), "openat");
        }

        var segments = relative.Split('/');
        var current = root.Fd;
        try
        {
            for (var i = 0; i < segments.Length; i++)
            {
                var last = i == segments.Length - 1;
                var name = Utf8Z(segments[i]);
                var fd = OpenAt(current, name, (last ? flags : O_PATH | O_DIRECTORY | O_CLOEXEC) | O_NOFOLLOW, last ? mode : 0);
                if (fd < 0)
                {
                    var errno = LastError;
                    // O_NOFOLLOW refuses a symlink with ELOOP (ENOTDIR when a directory was asked for).
                    if (errno is ELOOP or ENOTDIR && StatAt(current, name, AT_SYMLINK_NOFOLLOW, out var link) == 0 && link.IsSymlink)
                    {
                        errno = EXDEV;
                    }

                    throw new ErrnoException(errno, "openat");
                }

                // O_PATH|O_NOFOLLOW opens a final symlink itself rather than failing; a mount point leads elsewhere.
                if (Stat(fd, out var stat) != 0 || stat.IsSymlink || stat.Device != root.Device)
                {
                    Close(fd);
                    throw new ErrnoException(EXDEV, "openat");
                }

                if (current != root.Fd)
                {
                    Close(current);
                }

                current = fd;
            }

            var opened = current;
            current = root.Fd;
            return opened;
        }
        finally
        {
            if (current != root.Fd)
            {
                Close(current);
            }
        }
    }
}
