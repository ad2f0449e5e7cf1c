using SoulBox.Agent.Exec;
using SoulBox.Agent.Protocol;

namespace SoulBox.Agent.Worker;

/// <summary>File requests, confined to the work and tmp directories. The agent runs as root, so
/// everything it creates is handed to the sandbox user (chown) to stay usable by user code.</summary>
internal sealed class FileHandler(WorkerServices services)
{
    private SandboxPaths Paths => services.Paths;

    public async Task ReadAsync(ReadFileRequest request, IEventSink sink, CancellationToken cancellationToken)
    {
        var path = Paths.Resolve(request.Path);
        if (Directory.Exists(path))
        {
            throw new AgentException(AgentErrorCodes.IsDirectory, $"'{request.Path}' is a directory.");
        }

        if (!File.Exists(path))
        {
            throw NotFound(request.Path);
        }

        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, useAsync: false);
        var buffer = new byte[AgentProtocol.MaxPayloadChunkBytes];
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            await sink.SendAsync(new FileDataEvent(), buffer.AsMemory(0, read)).ConfigureAwait(false);
        }

        await sink.SendAsync(new OkEvent()).ConfigureAwait(false);
    }

    public async Task WriteAsync(WriteFileRequest request, byte[] payload, IEventSink sink, CancellationToken cancellationToken)
    {
        var path = Paths.Resolve(request.Path);
        if (Directory.Exists(path))
        {
            throw new AgentException(AgentErrorCodes.IsDirectory, $"'{request.Path}' is a directory.");
        }

        CreateDirectories(Path.GetDirectoryName(path)!, request.Path);
        await using (var stream = new FileStream(path, request.Append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.ReadWrite, 1, useAsync: false))
        {
            await stream.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
        }

        Chown(path);
        await sink.SendAsync(new FileStatEvent(Entry(path))).ConfigureAwait(false);
    }

    public async Task ListAsync(ListFilesRequest request, IEventSink sink)
    {
        var path = Paths.Resolve(request.Path);
        if (!Directory.Exists(path))
        {
            throw File.Exists(path)
                ? new AgentException(AgentErrorCodes.NotDirectory, $"'{request.Path}' is not a directory.")
                : NotFound(request.Path);
        }

        var entries = Directory.EnumerateFileSystemEntries(path)
            .Order(StringComparer.Ordinal)
            .Select(Entry)
            .ToArray();
        await sink.SendAsync(new FileListEvent(entries)).ConfigureAwait(false);
    }

    public async Task StatAsync(StatFileRequest request, IEventSink sink)
    {
        var path = Paths.Resolve(request.Path, followFinal: false);
        if (!Exists(path))
        {
            throw NotFound(request.Path);
        }

        await sink.SendAsync(new FileStatEvent(Entry(path))).ConfigureAwait(false);
    }

    public async Task MakeDirectoryAsync(MakeDirectoryRequest request, IEventSink sink)
    {
        var path = Paths.Resolve(request.Path);
        CreateDirectories(path, request.Path);
        await sink.SendAsync(new OkEvent()).ConfigureAwait(false);
    }

    public async Task RemoveAsync(RemoveFileRequest request, IEventSink sink)
    {
        var path = Paths.Resolve(request.Path, followFinal: false);
        if (!Exists(path))
        {
            throw NotFound(request.Path);
        }

        if (Paths.IsRoot(path))
        {
            throw new AgentException(AgentErrorCodes.BadRequest, $"'{request.Path}' is a sandbox root directory and cannot be removed.");
        }

        if (IsSymlink(path) || !Directory.Exists(path))
        {
            File.Delete(path);
        }
        else if (request.Recursive)
        {
            Directory.Delete(path, recursive: true);
        }
        else if (Directory.EnumerateFileSystemEntries(path).Any())
        {
            throw new AgentException(AgentErrorCodes.DirectoryNotEmpty, $"Directory '{request.Path}' is not empty (set recursive to remove it).");
        }
        else
        {
            Directory.Delete(path);
        }

        await sink.SendAsync(new OkEvent()).ConfigureAwait(false);
    }

    /// <summary>mkdir -p that chowns every directory it creates to the sandbox user.</summary>
    private void CreateDirectories(string path, string requested)
    {
        var missing = new Stack<string>();
        for (var current = path; !Directory.Exists(current); current = Path.GetDirectoryName(current)!)
        {
            if (File.Exists(current) || IsSymlink(current))
            {
                throw new AgentException(
                    current == path ? AgentErrorCodes.AlreadyExists : AgentErrorCodes.NotDirectory,
                    $"'{current}' (in '{requested}') exists and is not a directory.");
            }

            missing.Push(current);
        }

        foreach (var directory in missing)
        {
            Directory.CreateDirectory(directory);
            Chown(directory);
        }
    }

    private void Chown(string path) => Libc.LChown(path, services.Launcher.Uid, services.Launcher.Gid);

    private static bool Exists(string path) => File.Exists(path) || Directory.Exists(path) || IsSymlink(path);

    private static bool IsSymlink(string path) => new FileInfo(path).LinkTarget is not null;

    /// <summary>Describes a path; a symlink reports its target's kind and size, and IsSymlink.</summary>
    internal static AgentFileEntry Entry(string path)
    {
        FileSystemInfo info = Directory.Exists(path) ? new DirectoryInfo(path) : new FileInfo(path);
        var exists = info.Exists;
        return new AgentFileEntry(
            Name: Path.GetFileName(path),
            Path: path,
            IsDirectory: info is DirectoryInfo,
            Size: exists && info is FileInfo file ? file.Length : 0,
            ModifiedUnixMs: exists ? new DateTimeOffset(info.LastWriteTimeUtc).ToUnixTimeMilliseconds() : 0,
            Mode: exists ? (int)info.UnixFileMode : 0,
            IsSymlink: info.LinkTarget is not null);
    }

    private static AgentException NotFound(string path) => new(AgentErrorCodes.NotFound, $"'{path}' does not exist.");
}
