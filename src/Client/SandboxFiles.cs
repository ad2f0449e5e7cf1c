using System.Text;
using Orleans.Runtime;
using SoulBox.Grains;

namespace SoulBox.Client;

/// <summary>Files in a sandbox's writable areas (the template's home — /home/sandbox, or /home/user in base and
/// code-interpreter — the default for relative paths, and /tmp).</summary>
public sealed class SandboxFiles
{
    private const int ChunkBytes = 1024 * 1024;
    private readonly ISandboxGrain _grain;

    internal SandboxFiles(ISandboxGrain grain) => _grain = grain;

    /// <summary>Reads a whole file into memory.</summary>
    public async Task<byte[]> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        using var buffer = new MemoryStream();
        await ReadToAsync(path, buffer, cancellationToken).ConfigureAwait(false);
        return buffer.ToArray();
    }

    /// <summary>Reads a whole file as UTF-8 text.</summary>
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

    /// <summary>Writes <paramref name="text"/> as UTF-8, replacing the file.</summary>
    public Task<SandboxFileInfo> WriteAsync(string path, string text, CancellationToken cancellationToken = default) =>
        WriteAsync(path, Encoding.UTF8.GetBytes(text), cancellationToken);

    /// <summary>Writes <paramref name="content"/>, replacing the file.</summary>
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

    /// <summary>The entries of a directory.</summary>
    public async Task<IReadOnlyList<SandboxFileInfo>> ListAsync(string path = ".", CancellationToken cancellationToken = default) =>
        await _grain.ListFilesAsync(path, cancellationToken).ConfigureAwait(false);

    /// <summary>One file's or directory's description.</summary>
    public Task<SandboxFileInfo> StatAsync(string path, CancellationToken cancellationToken = default) =>
        _grain.StatFileAsync(path, cancellationToken);

    /// <summary>Creates a directory and its missing parents.</summary>
    public Task MakeDirectoryAsync(string path, CancellationToken cancellationToken = default) =>
        _grain.MakeDirectoryAsync(path, cancellationToken);

    /// <summary>Removes a file, or a directory (with its content when <paramref name="recursive"/>).</summary>
    public Task RemoveAsync(string path, bool recursive = false, CancellationToken cancellationToken = default) =>
        _grain.RemoveFileAsync(path, recursive, cancellationToken);
}
