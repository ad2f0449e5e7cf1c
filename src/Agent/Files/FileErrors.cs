using SoulBox.Agent.Protocol;
using SoulBox.Agent.Worker;
using static SoulBox.Agent.Files.FsCalls;

namespace SoulBox.Agent.Files;

/// <summary>Turns a failed call into the error the caller sees. Messages name the path the caller sent,
/// never the host path it resolved to.</summary>
internal static class FileErrors
{
    /// <param name="notDirectoryCode">What ENOTDIR means here: reading "file.txt/x" is not_found,
    /// listing or creating beneath a file is not_directory.</param>
    public static AgentException From(ErrnoException e, string requested, string notDirectoryCode = AgentErrorCodes.NotFound) => e.Errno switch
    {
        ENOENT => NotFound(requested),
        ENOTDIR when notDirectoryCode == AgentErrorCodes.NotFound => NotFound(requested),
        ENOTDIR => new(AgentErrorCodes.NotDirectory, $"A component of '{requested}' is not a directory."),
        EXDEV => new(AgentErrorCodes.PathEscape,
            $"Path '{requested}' leads out of the sandbox's writable directories (through an absolute symlink, a symlink above its root or a mount point)."),
        ELOOP => new(AgentErrorCodes.BadRequest, $"Path '{requested}' has too many levels of symbolic links."),
        EISDIR => IsDirectory(requested),
        EACCES or EPERM or EROFS => new(AgentErrorCodes.PermissionDenied,
            $"Permission denied on '{requested}': the sandbox user may not do that (see the modes of the path and its directories)."),
        EEXIST => new(AgentErrorCodes.AlreadyExists, $"'{requested}' already exists."),
        ENOTEMPTY => new(AgentErrorCodes.DirectoryNotEmpty, $"Directory '{requested}' is not empty."),
        ENOSPC or EDQUOT => NoSpace(requested),
        ENAMETOOLONG => new(AgentErrorCodes.BadRequest, $"Path '{requested}' or one of its names is too long."),
        _ => new(AgentErrorCodes.Internal, $"'{requested}': {e.Message}"),
    };

    public static AgentException NoSpace(string requested) => new(AgentErrorCodes.NoSpace,
        $"No space left in the sandbox for '{requested}' (its file system or the user's quota is full).");

    /// <summary>A write that failed because the file system is full: .NET's IOException carries the errno as HResult.</summary>
    public static bool IsOutOfSpace(IOException e) => e.HResult is ENOSPC or EDQUOT;

    public static AgentException NotFound(string requested) => new(AgentErrorCodes.NotFound, $"'{requested}' does not exist.");

    public static AgentException IsDirectory(string requested) => new(AgentErrorCodes.IsDirectory, $"'{requested}' is a directory.");

    public static AgentException NotRegular(string requested, string kind) => new(AgentErrorCodes.BadRequest,
        $"'{requested}' is {kind}; the files API reads and writes only regular files and directories.");
}
