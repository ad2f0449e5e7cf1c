using Microsoft.Win32.SafeHandles;
using SoulBox.Agent.Protocol;
using SoulBox.Agent.Worker;
using static SoulBox.Agent.Files.FsCalls;

namespace SoulBox.Agent.Files;

/// <summary>The files API's file-system work. Each method is one synchronous block of calls run as the
/// sandbox user (<see cref="FsIdentity"/>) that resolves the path beneath a root handle
/// (<see cref="BeneathResolver"/>) and then acts only on what it opened: fstat of the fd, unlinkat and mkdirat
/// relative to the parent's fd, a listing from the directory's fd. Content is then read or written through
/// the returned handle, which needs no identity. Only regular files and directories are opened; a FIFO,
/// socket or device is refused before any read or write could block on it.</summary>
internal sealed class SandboxFileSystem(SandboxPaths paths, int uid, int gid)
{
    // The agent's umask applies, as for any program: 0644 files and 0755 directories by default.
    private const int NewFileMode = 0x1B6;
    private const int NewDirectoryMode = 0x1FF;
    // rwxr-xr-x, set with fchmod (no umask): what a compiler gives the programs it links.
    private const int ExecutableFileMode = 0x1ED;

    public SandboxPaths Paths => paths;

    private BeneathResolver Resolver => paths.Resolver;

    /// <summary>Opens a regular file for reading; the caller disposes the handle.</summary>
    public OpenedFile OpenRead(string? requested)
    {
        var path = paths.Parse(requested);
        using var identity = FsIdentity.Become(uid, gid);
        try
        {
            return OpenRegular(path, O_RDONLY, 0);
        }
        catch (ErrnoException e)
        {
            throw FileErrors.From(e, path.Requested);
        }
    }

    /// <summary>Opens a regular file for writing, creating it and its missing parents (owned by the sandbox
    /// user, since it creates them); truncated unless <paramref name="append"/>; mode 0755 when
    /// <paramref name="executable"/>.</summary>
    public OpenedFile OpenWrite(string? requested, bool append, bool executable = false)
    {
        var path = paths.Parse(requested);
        if (path.IsRoot)
        {
            throw FileErrors.IsDirectory(path.Requested);
        }

        using var identity = FsIdentity.Become(uid, gid);
        try
        {
            Close(MakeDirectories(path.Root, path.ParentRelative, path.Requested, lastIsTarget: false));
            var file = OpenRegular(path, O_WRONLY | O_CREAT | (append ? O_APPEND : 0), NewFileMode);
            if (!append && Truncate((int)file.Handle.DangerousGetHandle(), 0) != 0)
            {
                var errno = LastError;
                file.Handle.Dispose();
                throw new ErrnoException(errno, "ftruncate");
            }

            if (executable && ChangeMode((int)file.Handle.DangerousGetHandle(), ExecutableFileMode) != 0)
            {
                var errno = LastError;
                file.Handle.Dispose();
                throw new ErrnoException(errno, "fchmod");
            }

            return file;
        }
        catch (ErrnoException e)
        {
            throw FileErrors.From(e, path.Requested, AgentErrorCodes.NotDirectory);
        }
    }

    /// <summary>The entry of an opened file as it is now (after a write).</summary>
    public static AgentFileEntry Describe(OpenedFile file)
    {
        ErrnoException.Check(FsCalls.Stat((int)file.Handle.DangerousGetHandle(), out var stat), "fstat");
        return Entry(file.Path.Name, file.Path.Display, stat);
    }

    /// <summary>Describes the path itself: a symlink is reported as the link, never as its target.</summary>
    public AgentFileEntry Stat(string? requested)
    {
        var path = paths.Parse(requested);
        using var identity = FsIdentity.Become(uid, gid);
        try
        {
            if (path.IsRoot)
            {
                ErrnoException.Check(FsCalls.Stat(path.Root.Fd, out var root), "fstat");
                return Entry(path.Name, path.Display, root);
            }

            var parent = Resolver.Open(path.Root, path.ParentRelative, O_PATH | O_DIRECTORY);
            try
            {
                ErrnoException.Check(StatAt(parent, Utf8Z(path.Name), AT_SYMLINK_NOFOLLOW, out var stat), "fstatat");
                return Entry(path.Name, path.Display, stat);
            }
            finally
            {
                Close(parent);
            }
        }
        catch (ErrnoException e)
        {
            throw FileErrors.From(e, path.Requested);
        }
    }

    /// <summary>The entries of a directory, by name; each describes the entry itself (symlinks as links).</summary>
    public AgentFileEntry[] List(string? requested)
    {
        var path = paths.Parse(requested);
        using var identity = FsIdentity.Become(uid, gid);
        try
        {
            int directory;
            try
            {
                directory = Resolver.Open(path.Root, path.Relative, O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_NOCTTY);
            }
            catch (ErrnoException e) when (e.Errno == ENOTDIR)
            {
                // Not a directory, or something on the way is not: only the first is not_directory.
                Close(Resolver.Open(path.Root, path.Relative, O_PATH));
                throw new AgentException(AgentErrorCodes.NotDirectory, $"'{path.Requested}' is not a directory.");
            }

            try
            {
                var entries = new List<AgentFileEntry>();
                foreach (var name in DirectoryEntries.Read(directory))
                {
                    if (StatAt(directory, name, AT_SYMLINK_NOFOLLOW, out var stat) == 0)
                    {
                        var text = DirectoryEntries.ToText(name);
                        entries.Add(Entry(text, $"{path.Display}/{text}", stat));
                    }
                }

                return [.. entries.OrderBy(entry => entry.Name, StringComparer.Ordinal)];
            }
            finally
            {
                Close(directory);
            }
        }
        catch (ErrnoException e)
        {
            throw FileErrors.From(e, path.Requested);
        }
    }

    /// <summary>mkdir -p: directories it creates belong to the sandbox user.</summary>
    public void MakeDirectories(string? requested)
    {
        var path = paths.Parse(requested);
        using var identity = FsIdentity.Become(uid, gid);
        try
        {
            Close(MakeDirectories(path.Root, path.Relative, path.Requested, lastIsTarget: true));
        }
        catch (ErrnoException e)
        {
            throw FileErrors.From(e, path.Requested, AgentErrorCodes.NotDirectory);
        }
    }

    /// <summary>Removes a file, a symlink (the link, not its target) or a directory (recursively when asked,
    /// without ever following a symlink inside it).</summary>
    public void Remove(string? requested, bool recursive)
    {
        var path = paths.Parse(requested);
        if (path.IsRoot)
        {
            throw new AgentException(AgentErrorCodes.BadRequest, $"'{path.Requested}' is a sandbox root directory and cannot be removed.");
        }

        using var identity = FsIdentity.Become(uid, gid);
        try
        {
            var parent = Resolver.Open(path.Root, path.ParentRelative, O_PATH | O_DIRECTORY);
            try
            {
                TreeRemover.Remove(parent, Utf8Z(path.Name), recursive, path.Requested);
            }
            finally
            {
                Close(parent);
            }
        }
        catch (ErrnoException e)
        {
            throw FileErrors.From(e, path.Requested);
        }
    }

    /// <summary>Renames <paramref name="requestedSource"/> to <paramref name="requestedDestination"/> with renameat on
    /// the two parents' fds, each opened beneath its root (the destination's missing parents are made first, as
    /// for a write). Neither last name is followed: a symlink is moved as the link. A file at the destination is
    /// replaced, an empty directory too (rename(2)'s rules). Returns the entry at its new path.</summary>
    public AgentFileEntry Move(string? requestedSource, string? requestedDestination)
    {
        var source = paths.Parse(requestedSource);
        var destination = paths.Parse(requestedDestination);
        if (source.IsRoot || destination.IsRoot)
        {
            var root = source.IsRoot ? source : destination;
            throw new AgentException(AgentErrorCodes.BadRequest, $"'{root.Requested}' is a sandbox root directory and cannot be moved or replaced.");
        }

        using var identity = FsIdentity.Become(uid, gid);
        int sourceParent;
        try
        {
            sourceParent = Resolver.Open(source.Root, source.ParentRelative, O_PATH | O_DIRECTORY);
        }
        catch (ErrnoException e)
        {
            throw FileErrors.From(e, source.Requested);
        }

        try
        {
            int destinationParent;
            try
            {
                destinationParent = MakeDirectories(destination.Root, destination.ParentRelative, destination.Requested, lastIsTarget: false);
            }
            catch (ErrnoException e)
            {
                throw FileErrors.From(e, destination.Requested, AgentErrorCodes.NotDirectory);
            }

            try
            {
                var destinationName = Utf8Z(destination.Name);
                if (RenameAt(sourceParent, Utf8Z(source.Name), destinationParent, destinationName) != 0)
                {
                    var errno = LastError;
                    throw errno switch
                    {
                        ENOENT => FileErrors.NotFound(source.Requested),
                        EXDEV => new AgentException(AgentErrorCodes.BadRequest,
                            $"'{source.Requested}' and '{destination.Requested}' are on different file systems (the home and tmp directories); copy and remove instead."),
                        EINVAL => new AgentException(AgentErrorCodes.BadRequest, $"'{destination.Requested}' lies inside '{source.Requested}'."),
                        EISDIR or ENOTDIR or EEXIST or ENOTEMPTY => new AgentException(
                            errno == ENOTEMPTY || errno == EEXIST ? AgentErrorCodes.DirectoryNotEmpty : errno == EISDIR ? AgentErrorCodes.IsDirectory : AgentErrorCodes.NotDirectory,
                            $"'{source.Requested}' cannot replace '{destination.Requested}' ({(errno == EISDIR ? "a directory" : errno == ENOTDIR ? "not a directory" : "a directory with entries")} is there)."),
                        _ => FileErrors.From(new ErrnoException(errno, "renameat"), source.Requested),
                    };
                }

                ErrnoException.Check(StatAt(destinationParent, destinationName, AT_SYMLINK_NOFOLLOW, out var stat), "fstatat");
                return Entry(destination.Name, destination.Display, stat);
            }
            catch (ErrnoException e)
            {
                throw FileErrors.From(e, destination.Requested);
            }
            finally
            {
                Close(destinationParent);
            }
        }
        finally
        {
            Close(sourceParent);
        }
    }

    /// <summary>A working directory for a process, confined like file paths and existing; returned as a path
    /// (root + relative, symlinks unresolved) because the exec helper chdirs by path. That chdir happens
    /// later and as the sandbox user, so a swap in between gains user code nothing it could not do itself:
    /// this check only keeps honest mistakes from running elsewhere.</summary>
    public string ResolveDirectory(string? requested)
    {
        var path = paths.Parse(requested);
        using var identity = FsIdentity.Become(uid, gid);
        try
        {
            Close(Resolver.Open(path.Root, path.Relative, O_PATH | O_DIRECTORY));
            return path.Display;
        }
        catch (ErrnoException e) when (e.Errno is ENOENT or ENOTDIR)
        {
            throw new AgentException(AgentErrorCodes.NotFound, $"Working directory '{path.Requested}' does not exist.");
        }
        catch (ErrnoException e)
        {
            throw FileErrors.From(e, path.Requested);
        }
    }

    private OpenedFile OpenRegular(SandboxPath path, int flags, int mode)
    {
        int fd;
        try
        {
            // O_NONBLOCK: opening a FIFO must not wait for its other end; O_NOCTTY: a terminal must not become ours.
            fd = Resolver.Open(path.Root, path.Relative, flags | O_NONBLOCK | O_NOCTTY, mode);
        }
        catch (ErrnoException e) when (e.Errno == ENXIO)
        {
            throw FileErrors.NotRegular(path.Requested, "a FIFO or socket"); // write-open of one with no reader
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            ErrnoException.Check(FsCalls.Stat(fd, out var stat), "fstat");
            if (stat.IsDirectory)
            {
                throw FileErrors.IsDirectory(path.Requested);
            }

            if (!stat.IsRegular)
            {
                throw FileErrors.NotRegular(path.Requested, stat.Kind);
            }

            ErrnoException.Check(ClearNonBlocking(fd), "fcntl");
            return new OpenedFile(handle, path);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>mkdir -p of <paramref name="relative"/> beneath the root; returns an O_PATH fd of the last
    /// directory. Each missing directory is made with mkdirat in the fd of its parent, then opened again
    /// beneath the root, so a swap between the two is resolved (and confined) like any other path.</summary>
    private int MakeDirectories(SandboxRoot root, string relative, string requested, bool lastIsTarget)
    {
        var current = Resolver.Open(root, "", O_PATH | O_DIRECTORY);
        if (relative.Length == 0)
        {
            return current;
        }

        try
        {
            var segments = relative.Split('/');
            for (var i = 0; i < segments.Length; i++)
            {
                var prefix = string.Join('/', segments.Take(i + 1));
                int next;
                try
                {
                    next = OpenDirectory(root, prefix, current, segments[i]);
                }
                catch (ErrnoException e) when (e.Errno == ENOTDIR)
                {
                    throw lastIsTarget && i == segments.Length - 1
                        ? new AgentException(AgentErrorCodes.AlreadyExists, $"'{requested}' exists and is not a directory.")
                        : new AgentException(AgentErrorCodes.NotDirectory, $"'{prefix}' (in '{requested}') exists and is not a directory.");
                }

                Close(current);
                current = next;
            }

            var made = current;
            current = -1;
            return made;
        }
        finally
        {
            if (current >= 0)
            {
                Close(current);
            }
        }
    }

    private int OpenDirectory(SandboxRoot root, string prefix, int parent, string name)
    {
        try
        {
            return Resolver.Open(root, prefix, O_PATH | O_DIRECTORY);
        }
        catch (ErrnoException e) when (e.Errno == ENOENT)
        {
            if (MakeDirectoryAt(parent, Utf8Z(name), NewDirectoryMode) != 0 && LastError != EEXIST)
            {
                throw new ErrnoException(LastError, "mkdirat");
            }
        }

        try
        {
            return Resolver.Open(root, prefix, O_PATH | O_DIRECTORY);
        }
        catch (ErrnoException e) when (e.Errno == ENOENT)
        {
            throw new ErrnoException(ENOTDIR, "mkdirat"); // it exists yet does not resolve: a dangling symlink
        }
    }

    private static AgentFileEntry Entry(string name, string display, FileStat stat) => new(
        Name: name,
        Path: display,
        IsDirectory: stat.IsDirectory,
        Size: stat.IsDirectory ? 0 : stat.Size,
        ModifiedUnixMs: stat.ModifiedUnixMs,
        Mode: stat.Permissions,
        IsSymlink: stat.IsSymlink);
}
