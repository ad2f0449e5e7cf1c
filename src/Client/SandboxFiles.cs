using System.Text;
using Orleans.Runtime;
using SoulBox.Grains;

namespace SoulBox.Client;

/// <summary>Files in a sandbox's writable areas (/home/sandbox, the default for relative paths, and /tmp).</summary>
public sealed class SandboxFiles
{
    private const int ChunkBytes = 1024 * 1024;
    private readonly ISandboxGrain _grain;

    internal SandboxFiles(ISandboxGrain grain) => _grain = grain;

    public async Task<byte[]> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        using var buffer = new MemoryStream();
        await ReadToAsync(path, buffer, cancellationToken).ConfigureAwait(false);
        return buffer.ToArray();
    }

    public async Task<string> ReadTextAsync(string path, CancellationToken cancellationToken = default) =>
        Encoding.UTF8.GetString(await ReadAsync(path, cancellationToken).ConfigureAwait(false));

    /// <summary>Copies a file into <paramref name="destination"/> chunk by chunk (large files never sit whole in memory).</summary>
    public async Task ReadToAsync(string path, Stream destination, CancellationToken cancellationToken = default)
    {
        // Two chunks per grain answer: the node never gathers a whole file's ready chunks into one message.
        await foreach (var chunk in _grain.ReadFileAsync(path, cancellationToken).WithBatchSize(2).ConfigureAwait(false))
        {
            await destination.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
        }
    }

    public Task<SandboxFileInfo> WriteAsync(string path, string text, CancellationToken cancellationToken = default) =>
        WriteAsync(path, Encoding.UTF8.GetBytes(text), cancellationToken);

    public async Task<SandboxFileInfo> WriteAsync(string path, byte[] content, CancellationToken cancellationToken = default)
    {
        using var stream = new MemoryStream(content, writable: false);
        return await WriteAsync(path, stream, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Uploads a stream in 1 MiB chunks: the first truncates the file, the rest append.</summary>
    public async Task<SandboxFileInfo> WriteAsync(string path, Stream content, CancellationToken cancellationToken = default)
    {
        var buffer = new byte[ChunkBytes];
        var append = false;
        SandboxFileInfo? info = null;
        while (true)
        {
            var read = await content.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (read == 0 && append)
            {
                break;
            }

            info = await _grain.WriteFileAsync(path, buffer[..read], append, cancellationToken).ConfigureAwait(false);
            append = true;
            if (read < buffer.Length)
            {
                break;
            }
        }

        return info!;
    }

    public async Task<IReadOnlyList<SandboxFileInfo>> ListAsync(string path = ".", CancellationToken cancellationToken = default) =>
        await _grain.ListFilesAsync(path, cancellationToken).ConfigureAwait(false);

    public Task<SandboxFileInfo> StatAsync(string path, CancellationToken cancellationToken = default) =>
        _grain.StatFileAsync(path, cancellationToken);

    public Task MakeDirectoryAsync(string path, CancellationToken cancellationToken = default) =>
        _grain.MakeDirectoryAsync(path, cancellationToken);

    public Task RemoveAsync(string path, bool recursive = false, CancellationToken cancellationToken = default) =>
        _grain.RemoveFileAsync(path, recursive, cancellationToken);
}
