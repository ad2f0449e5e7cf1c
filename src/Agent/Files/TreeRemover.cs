using SoulBox.Agent.Protocol;
using SoulBox.Agent.Worker;
using static SoulBox.Agent.Files.FsCalls;

namespace SoulBox.Agent.Files;

/// <summary>Removes an entry relative to its parent's fd, and empties a directory the way fts does: only relative to open directory fds, never
/// following a symlink (a subdirectory is entered with O_NOFOLLOW|O_DIRECTORY; a symlink is unlinked as a
/// link), holding one fd at a time whatever the depth (containers have 1024 fds), and climbing back through
/// ".." only after checking it is the directory it came from (device and inode), so a directory moved away
/// mid-walk stops the removal instead of taking it elsewhere. Runs as the sandbox user (see FsIdentity).</summary>
internal static class TreeRemover
{
    // Each directory is listed about twice; user code adding entries as fast as they go could otherwise keep
    // one request (and its thread) busy forever.
    private const int MaxListings = 1_000_000;

    // Attempts at removing an entry that user code keeps swapping or refilling meanwhile.
    private const int RemoveAttempts = 4;

    private sealed record Level(byte[]? Name, ulong Device, ulong Inode)
    {
        public Queue<byte[]> Pending { get; } = new();
    }

    /// <summary>Removes the entry <paramref name="name"/> of the directory <paramref name="parent"/>: a file or
    /// symlink (the link itself), or a directory (emptied first when <paramref name="recursive"/>).</summary>
    public static void Remove(int parent, byte[] name, bool recursive, string requested)
    {
        for (var attempt = 0; attempt < RemoveAttempts; attempt++)
        {
            ErrnoException.Check(StatAt(parent, name, AT_SYMLINK_NOFOLLOW, out var stat), "fstatat");
            if (!stat.IsDirectory)
            {
                if (UnlinkAt(parent, name, 0) == 0)
                {
                    return;
                }
            }
            else if (!recursive)
            {
                if (UnlinkAt(parent, name, AT_REMOVEDIR) == 0)
                {
                    return;
                }

                if (LastError is ENOTEMPTY or EEXIST)
                {
                    throw new AgentException(AgentErrorCodes.DirectoryNotEmpty, $"Directory '{requested}' is not empty (set recursive to remove it).");
                }
            }
            else
            {
                var directory = OpenAt(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (directory >= 0)
                {
                    try
                    {
                        Empty(directory);
                    }
                    finally
                    {
                        Close(directory);
                    }

                    if (UnlinkAt(parent, name, AT_REMOVEDIR) == 0)
                    {
                        return;
                    }
                }
            }

            // EISDIR, ENOTDIR, ELOOP: swapped for another kind since the fstatat; ENOTEMPTY: refilled. Look again.
            if (LastError is not (EISDIR or ENOTDIR or ELOOP or ENOTEMPTY or EEXIST))
            {
                throw new ErrnoException(LastError, "unlinkat");
            }
        }

        throw new AgentException(AgentErrorCodes.DirectoryNotEmpty, $"'{requested}' kept changing while it was being removed.");
    }

    public static void Empty(int directoryFd)
    {
        var current = ErrnoException.Check(OpenAt(directoryFd, ".\0"u8, O_RDONLY | O_DIRECTORY | O_CLOEXEC), "openat");
        try
        {
            ErrnoException.Check(Stat(current, out var top), "fstat");
            var levels = new Stack<Level>();
            levels.Push(new Level(null, top.Device, top.Inode));
            var listings = 0;
            while (true)
            {
                var level = levels.Peek();
                if (level.Pending.Count == 0)
                {
                    if (++listings > MaxListings)
                    {
                        throw new ErrnoException(ENOTEMPTY, "remove (the tree kept changing)");
                    }

                    foreach (var name in DirectoryEntries.Read(current))
                    {
                        if (!RemoveEntry(current, name))
                        {
                            level.Pending.Enqueue(name);
                        }
                    }

                    if (level.Pending.Count > 0)
                    {
                        continue;
                    }

                    if (levels.Count == 1)
                    {
                        return;
                    }

                    levels.Pop();
                    current = Ascend(current, levels.Peek());
                    if (UnlinkAt(current, level.Name!, AT_REMOVEDIR) != 0)
                    {
                        switch (LastError)
                        {
                            case ENOENT or ENOTDIR:
                                break;
                            case ENOTEMPTY or EEXIST:
                                levels.Peek().Pending.Enqueue(level.Name!); // filled again meanwhile: go round once more
                                break;
                            case var errno:
                                throw new ErrnoException(errno, "unlinkat");
                        }
                    }

                    continue;
                }

                var next = level.Pending.Dequeue();
                var child = OpenAt(current, next, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (child < 0)
                {
                    var errno = LastError;
                    if (errno is ELOOP or ENOTDIR)
                    {
                        UnlinkAt(current, next, 0); // swapped for a symlink or file since it was listed: remove that
                    }
                    else if (errno != ENOENT)
                    {
                        throw new ErrnoException(errno, "openat");
                    }

                    continue;
                }

                Stat(child, out var entered);
                Close(current);
                current = child;
                levels.Push(new Level(next, entered.Device, entered.Inode));
            }
        }
        finally
        {
            Close(current);
        }
    }

    /// <summary>Removes a non-directory or an empty directory; false when it is a directory with entries.</summary>
    private static bool RemoveEntry(int directory, byte[] name)
    {
        if (UnlinkAt(directory, name, 0) == 0 || LastError == ENOENT)
        {
            return true;
        }

        if (LastError != EISDIR)
        {
            throw new ErrnoException(LastError, "unlinkat");
        }

        if (UnlinkAt(directory, name, AT_REMOVEDIR) == 0)
        {
            return true;
        }

        return LastError switch
        {
            ENOTEMPTY or EEXIST => false,
            ENOENT or ENOTDIR => true, // gone or swapped since: the next listing sees what is there now
            var errno => throw new ErrnoException(errno, "unlinkat"),
        };
    }

    private static int Ascend(int current, Level parent)
    {
        var up = ErrnoException.Check(OpenAt(current, "..\0"u8, O_RDONLY | O_DIRECTORY | O_CLOEXEC), "openat ..");
        if (Stat(up, out var stat) != 0 || stat.Device != parent.Device || stat.Inode != parent.Inode)
        {
            Close(up);
            throw new ErrnoException(ENOENT, "remove (a directory was moved during the removal)");
        }

        Close(current);
        return up;
    }
}
