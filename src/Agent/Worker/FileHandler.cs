using SoulBox.Agent.Files;
using SoulBox.Agent.Protocol;

namespace SoulBox.Agent.Worker;

/// <summary>File requests. The file-system work (resolving beneath the roots, as the sandbox user) is
/// <see cref="SandboxFileSystem"/>'s; this streams content through the handles it opened.</summary>
internal sealed class FileHandler(WorkerServices services)
{
    private SandboxFileSystem Files => services.Files;

    public async Task ReadAsync(ReadFileRequest request, IEventSink sink, CancellationToken cancellationToken)
    {
        var file = Files.OpenRead(request.Path);
        await using (var stream = new FileStream(file.Handle, FileAccess.Read, bufferSize: 0))
        {
            var buffer = new byte[AgentProtocol.MaxPayloadChunkBytes];
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                await sink.SendAsync(new FileDataEvent(), buffer.AsMemory(0, read)).ConfigureAwait(false);
            }
        }

        await sink.SendAsync(new OkEvent()).ConfigureAwait(false);
    }

    public async Task WriteAsync(WriteFileRequest request, byte[] payload, IEventSink sink, CancellationToken cancellationToken)
    {
        var file = Files.OpenWrite(request.Path, request.Append, request.Executable);
        AgentFileEntry entry;
        await using (var stream = new FileStream(file.Handle, FileAccess.Write, bufferSize: 0))
        {
            if (request.Append)
            {
                stream.Seek(0, SeekOrigin.End);
            }

            try
            {
                await stream.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e) when (FileErrors.IsOutOfSpace(e))
            {
                throw FileErrors.NoSpace(request.Path);
            }
            entry = SandboxFileSystem.Describe(file);
        }

        await sink.SendAsync(new FileStatEvent(entry)).ConfigureAwait(false);
    }

    public async Task ListAsync(ListFilesRequest request, IEventSink sink) =>
        await sink.SendAsync(new FileListEvent(Files.List(request.Path))).ConfigureAwait(false);

    public async Task StatAsync(StatFileRequest request, IEventSink sink) =>
        await sink.SendAsync(new FileStatEvent(Files.Stat(request.Path))).ConfigureAwait(false);

    public async Task MakeDirectoryAsync(MakeDirectoryRequest request, IEventSink sink)
    {
        Files.MakeDirectories(request.Path);
        await sink.SendAsync(new OkEvent()).ConfigureAwait(false);
    }

    public async Task MoveAsync(MoveFileRequest request, IEventSink sink) =>
        await sink.SendAsync(new FileStatEvent(Files.Move(request.Source, request.Destination))).ConfigureAwait(false);

    public async Task RemoveAsync(RemoveFileRequest request, IEventSink sink)
    {
        Files.Remove(request.Path, request.Recursive);
        await sink.SendAsync(new OkEvent()).ConfigureAwait(false);
    }
}
