using System.Text;

namespace SoulBox.Grains.Compilation;

/// <summary>The layout of one entry on disk: a magic word, the header (compile stdout and stderr, then each path
/// with its kind, mode and size), then the contents of the files back to back. One file per entry, so storing one
/// is a single rename and evicting one a single unlink.</summary>
internal static class CompileEntryFile
{
    private const uint Magic = 0x31434253; // "SBC1" little-endian

    public static async Task WriteAsync(Stream stream, CompiledOutputs outputs, CancellationToken cancellationToken)
    {
        using var header = new MemoryStream();
        using (var writer = new BinaryWriter(header, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(outputs.Stdout);
            writer.Write(outputs.Stderr);
            writer.Write(outputs.Paths.Count);
            foreach (var path in outputs.Paths)
            {
                writer.Write(path.Path);
                writer.Write(path.IsDirectory);
                writer.Write(path.Executable);
                writer.Write((long)path.Content.Length);
            }
        }

        await stream.WriteAsync(header.GetBuffer().AsMemory(0, (int)header.Length), cancellationToken).ConfigureAwait(false);
        foreach (var path in outputs.Paths)
        {
            await stream.WriteAsync(path.Content, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads the header and leaves the stream at the first file's content.</summary>
    public static CompiledEntryHeader ReadHeader(Stream stream)
    {
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        if (reader.ReadUInt32() != Magic)
        {
            throw new InvalidDataException("Not a compile cache entry.");
        }

        var stdout = reader.ReadString();
        var stderr = reader.ReadString();
        var count = reader.ReadInt32();
        if (count < 0)
        {
            throw new InvalidDataException("A compile cache entry with a negative path count.");
        }

        var paths = new List<(string, bool, bool, long)>(Math.Min(count, 4096));
        for (var i = 0; i < count; i++)
        {
            var path = reader.ReadString();
            var isDirectory = reader.ReadBoolean();
            var executable = reader.ReadBoolean();
            var size = reader.ReadInt64();
            if (size < 0 || (isDirectory && size != 0))
            {
                throw new InvalidDataException($"A compile cache entry with a bad size for '{path}'.");
            }

            paths.Add((path, isDirectory, executable, size));
        }

        return new CompiledEntryHeader(stdout, stderr, paths);
    }
}
