namespace SoulBox.Grains.Compilation;

/// <summary>One path a compile wrote, relative to the run directory: a directory (recreated, even when empty) or a
/// file with its content.</summary>
internal sealed record CompiledPath(string Path, bool IsDirectory, bool Executable, byte[] Content);

/// <summary>What a successful compile left behind: its output paths and what it printed (replayed on a hit, so a
/// cached compile reports the same warnings as the first one did).</summary>
internal sealed record CompiledOutputs(string Stdout, string Stderr, IReadOnlyList<CompiledPath> Paths)
{
    public long ContentBytes => Paths.Sum(p => (long)p.Content.Length);
}

/// <summary>The part of an entry read before its content: the compile's output text and the paths, in the order
/// their content follows in the entry file.</summary>
internal sealed record CompiledEntryHeader(string Stdout, string Stderr, IReadOnlyList<(string Path, bool IsDirectory, bool Executable, long Size)> Paths);
