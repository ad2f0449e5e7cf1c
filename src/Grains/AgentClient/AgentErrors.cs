using SoulBox.Agent.Protocol;

namespace SoulBox.Grains.AgentClient;

/// <summary>Maps the agent's error codes to SoulBox's typed exceptions.</summary>
internal static class AgentErrors
{
    public static SoulBoxException ToSoulBox(AgentErrorException error, string? path = null) => error.Code switch
    {
        AgentErrorCodes.NotFound => new SandboxFileException(ErrorCodes.FileNotFound, path ?? "", error.Message),
        AgentErrorCodes.PathEscape => new SandboxFileException(ErrorCodes.PathEscape, path ?? "", error.Message),
        AgentErrorCodes.IsDirectory => new SandboxFileException(ErrorCodes.IsDirectory, path ?? "", error.Message),
        AgentErrorCodes.NotDirectory => new SandboxFileException(ErrorCodes.NotDirectory, path ?? "", error.Message),
        AgentErrorCodes.DirectoryNotEmpty => new SandboxFileException(ErrorCodes.DirectoryNotEmpty, path ?? "", error.Message),
        AgentErrorCodes.AlreadyExists => new SandboxFileException(ErrorCodes.AlreadyExists, path ?? "", error.Message),
        AgentErrorCodes.PermissionDenied => new SandboxFileException(ErrorCodes.PermissionDenied, path ?? "", error.Message),
        AgentErrorCodes.TooLarge => new SoulBoxException(ErrorCodes.TooLarge, error.Message),
        AgentErrorCodes.NoSpace => new SandboxFileException(ErrorCodes.NoSpace, path ?? "", error.Message),
        AgentErrorCodes.ContextNotFound => new SoulBoxException(ErrorCodes.ContextNotFound, error.Message),
        AgentErrorCodes.BadRequest or AgentErrorCodes.UnsupportedLanguage => new SandboxValidationException(path is null ? "request" : "path", error.Message),
        // Only reached where the caller does not give the sandbox up first (SandboxGrain does: kill_failed means lost).
        _ => new SoulBoxException(ErrorCodes.Internal, $"The sandbox agent failed: {error.Message}"),
    };

    public static SandboxFileInfo ToFileInfo(AgentFileEntry entry) => new()
    {
        Name = entry.Name,
        Path = entry.Path,
        IsDirectory = entry.IsDirectory,
        Size = entry.Size,
        ModifiedAt = DateTimeOffset.FromUnixTimeMilliseconds(entry.ModifiedUnixMs),
        Mode = entry.Mode,
        IsSymlink = entry.IsSymlink,
    };
}
