using System.Buffers;
using SoulBox.Agent.Protocol;
using SoulBox.Grains.AgentClient;

namespace SoulBox.Grains.Compilation;

/// <summary>Moves compile outputs between a run's directory in its container and the node's compile cache, through
/// the agent's file API (confined beneath the sandbox roots, as the sandbox user, never following a symlink): capture
/// reads what the compile wrote, right after it ended and before the program runs; restore writes an entry into a
/// fresh run directory. The cache itself is never mounted into a container.</summary>
internal static class CompileOutputTransfer
{
    private const int MaxDepth = 64;

    /// <summary>Reads the declared <paramref name="outputs"/> (files or directory trees, relative to
    /// <paramref name="directory"/>). Null when the build is not kept: an output is missing, a symlink or not a
    /// regular file, a name is not plain, the compile's own output was truncated, or the build is past the entry
    /// bounds of <paramref name="options"/>.</summary>
    public static async Task<CompiledOutputs?> CaptureAsync(
        AgentConnection agent,
        string directory,
        IReadOnlyList<string> outputs,
        CommandResult compile,
        CompileCacheOptions options,
        CancellationToken cancellationToken)
    {
        if (compile.StdoutTruncated || compile.StderrTruncated || outputs.Count == 0)
        {
            return null;
        }

        var capture = new Capture(agent, directory, options);
        try
        {
            foreach (var output in outputs)
            {
                var entry = ((FileStatEvent)await agent.RequestAsync(new StatFileRequest($"{directory}/{output}"), cancellationToken).ConfigureAwait(false)).Entry;
                if (!await capture.AddAsync(output, entry, 0, cancellationToken).ConfigureAwait(false))
                {
                    return null;
                }
            }
        }
        catch (AgentErrorException)
        {
            // Missing, not a regular file, or changed while it was read: run it, keep nothing.
            return null;
        }

        return new CompiledOutputs(compile.Stdout, compile.Stderr, capture.Paths);
    }

    /// <summary>Writes the entry read from <paramref name="entry"/> into <paramref name="directory"/> and returns its
    /// header (the compile's output text to replay).</summary>
    public static async Task<CompiledEntryHeader> RestoreAsync(AgentConnection agent, string directory, Stream entry, CancellationToken cancellationToken)
    {
        var header = CompileEntryFile.ReadHeader(entry);
        var buffer = ArrayPool<byte>.Shared.Rent(AgentProtocol.MaxPayloadChunkBytes);
        try
        {
            foreach (var (path, isDirectory, executable, size) in header.Paths)
            {
                if (!IsRelativePath(path))
                {
                    throw new InvalidDataException($"A compile cache entry names the path '{path}'.");
                }

                var target = $"{directory}/{path}";
                if (isDirectory)
                {
                    await agent.RequestAsync(new MakeDirectoryRequest(target), cancellationToken).ConfigureAwait(false);
                    continue;
                }

                long written = 0;
                do
                {
                    var length = (int)Math.Min(buffer.Length, size - written);
                    await entry.ReadExactlyAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                    await agent.RequestAsync(new WriteFileRequest(target, Append: written > 0) { Executable = executable }, cancellationToken, buffer.AsMemory(0, length)).ConfigureAwait(false);
                    written += length;
                }
                while (written < size);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return header;
    }

    /// <summary>A directory entry's name that is one plain path segment (no separator, no "." or "..", no NUL, and
    /// no U+FFFD: a name that was not valid UTF-8 cannot be written back as it was).</summary>
    private static bool IsPlainName(string name) =>
        name.Length is > 0 and <= 255 && name is not ("." or "..") && name.IndexOfAny(['/', '\0', '\uFFFD']) < 0;

    private static bool IsRelativePath(string path) => path.Length > 0 && path.Split('/').All(IsPlainName);

    private sealed class Capture(AgentConnection agent, string directory, CompileCacheOptions options)
    {
        private long _bytes;

        public List<CompiledPath> Paths { get; } = [];

        public async Task<bool> AddAsync(string relative, AgentFileEntry entry, int depth, CancellationToken cancellationToken)
        {
            if (entry.IsSymlink || Paths.Count >= options.MaxEntryFiles || !IsRelativePath(relative))
            {
                return false;
            }

            if (entry.IsDirectory)
            {
                if (depth >= MaxDepth)
                {
                    return false;
                }

                Paths.Add(new CompiledPath(relative, IsDirectory: true, Executable: false, []));
                var list = (FileListEvent)await agent.RequestAsync(new ListFilesRequest($"{directory}/{relative}"), cancellationToken).ConfigureAwait(false);
                foreach (var child in list.Entries)
                {
                    if (!IsPlainName(child.Name) || !await AddAsync($"{relative}/{child.Name}", child, depth + 1, cancellationToken).ConfigureAwait(false))
                    {
                        return false;
                    }
                }

                return true;
            }

            if (entry.Size < 0 || _bytes + entry.Size > options.MaxEntryBytes)
            {
                return false;
            }

            var content = new byte[entry.Size];
            var read = 0;
            await foreach (var frame in agent.StreamAsync(new ReadFileRequest($"{directory}/{relative}"), default, cancellationToken).ConfigureAwait(false))
            {
                if (frame.Header is FileDataEvent)
                {
                    if (read + frame.Payload.Length > content.Length)
                    {
                        return false; // grew since it was listed
                    }

                    frame.Payload.CopyTo(content.AsSpan(read));
                    read += frame.Payload.Length;
                }
            }

            if (read != content.Length)
            {
                return false;
            }

            _bytes += content.Length;
            // Any execute bit: the compiler made a program. Put back as 0755.
            Paths.Add(new CompiledPath(relative, IsDirectory: false, Executable: (entry.Mode & 0x49) != 0, content));
            return true;
        }
    }
}
