using System.Security.Cryptography;
using System.Text;

namespace SoulBox.Grains.Compilation;

/// <summary>The content address of one compile: SHA-256 over everything that decides what a successful compile in a
/// freshly reset executor writes. The toolchain is the image id (compiler, standard library, build scripts and
/// image environment all live in the image); the rest is the compile itself: its argv (flags, the run directory,
/// the source list), its environment, the outputs it is asked for, and every file of the program, names and bytes,
/// in the order they are written. Limits (time, memory, output caps) are not in the key: they decide whether a compile
/// succeeds, never what a successful one writes, and only successful compiles are kept.</summary>
internal static class CompileKey
{
    // Bumped when the inputs or the entry format change, so a new build never reads an old entry's layout.
    private const string Schema = "soulbox-compile-cache/1";

    /// <summary>64 lower-case hex digits; also the entry's file name.</summary>
    public static string Of(
        string language,
        string imageId,
        string directory,
        IReadOnlyList<string> compileArgv,
        IReadOnlyDictionary<string, string> env,
        IReadOnlyList<string> outputs,
        IReadOnlyList<(string Name, byte[] Content)> files)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        // Every field is length-prefixed, so no two different input lists hash the same bytes.
        Add(hash, Schema);
        Add(hash, language);
        Add(hash, imageId);
        Add(hash, directory);
        AddAll(hash, compileArgv);

        AddCount(hash, env.Count);
        foreach (var (name, value) in env.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            Add(hash, name);
            Add(hash, value);
        }

        AddAll(hash, outputs);

        AddCount(hash, files.Count);
        foreach (var (name, content) in files)
        {
            Add(hash, name);
            AddCount(hash, content.Length);
            hash.AppendData(content);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void Add(IncrementalHash hash, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        AddCount(hash, bytes.Length);
        hash.AppendData(bytes);
    }

    private static void AddAll(IncrementalHash hash, IReadOnlyCollection<string> values)
    {
        AddCount(hash, values.Count);
        foreach (var value in values)
        {
            Add(hash, value);
        }
    }

    private static void AddCount(IncrementalHash hash, long count)
    {
        Span<byte> bytes = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(bytes, count);
        hash.AppendData(bytes);
    }
}
