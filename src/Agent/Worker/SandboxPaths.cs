using SoulBox.Agent.Exec;
using SoulBox.Agent.Protocol;

namespace SoulBox.Agent.Worker;

/// <summary>Maps request paths onto the file system and keeps them inside the work and tmp
/// directories: relative paths are under the work directory; after normalising ".." and resolving
/// every symlink of the part that exists, the path must still be inside one of the two roots.</summary>
internal sealed class SandboxPaths
{
    private readonly string[] _roots;

    public SandboxPaths(string workDirectory, string tmpDirectory)
    {
        WorkDirectory = Canonical(workDirectory);
        TmpDirectory = Canonical(tmpDirectory);
        _roots = [WorkDirectory, TmpDirectory];
    }

    public string WorkDirectory { get; }

    public string TmpDirectory { get; }

    /// <summary>Resolves <paramref name="path"/>. With <paramref name="followFinal"/> false a final
    /// symlink is kept as is (stat and remove act on the link, not on what it points to).</summary>
    public string Resolve(string? path, bool followFinal = true)
    {
        if (string.IsNullOrEmpty(path))
        {
            path = ".";
        }

        if (path.Contains('\0'))
        {
            throw new AgentException(AgentErrorCodes.BadRequest, "Path contains a NUL character.");
        }

        var full = Path.GetFullPath(path, WorkDirectory).TrimEnd('/');
        if (full.Length == 0)
        {
            full = "/";
        }

        string resolved;
        if (full == "/")
        {
            resolved = full;
        }
        else
        {
            var parent = ResolveExisting(Path.GetDirectoryName(full)!);
            resolved = Path.Join(parent, Path.GetFileName(full));
            if (followFinal)
            {
                resolved = ResolveExisting(resolved);
            }
        }

        if (!IsInside(resolved))
        {
            throw new AgentException(AgentErrorCodes.PathEscape,
                $"Path '{path}' resolves to '{resolved}', outside {WorkDirectory} and {TmpDirectory}.");
        }

        return resolved;
    }

    public bool IsRoot(string resolved) => _roots.Contains(resolved);

    private bool IsInside(string resolved) =>
        _roots.Any(root => resolved == root || resolved.StartsWith(root + "/", StringComparison.Ordinal));

    /// <summary>realpath of the longest existing prefix, with the missing tail appended. A dangling
    /// symlink on the way is followed by hand: writing through it would create its target.</summary>
    private static string ResolveExisting(string full, int depth = 0)
    {
        var tail = new Stack<string>();
        var current = full;
        while (true)
        {
            var real = Libc.RealPath(current);
            if (real is null && depth < 40 && new FileInfo(current).LinkTarget is { } target)
            {
                real = ResolveExisting(Path.GetFullPath(target, Path.GetDirectoryName(current) ?? "/"), depth + 1);
            }

            if (real is not null)
            {
                foreach (var part in tail)
                {
                    real = Path.Join(real, part);
                }

                return real;
            }

            var parent = Path.GetDirectoryName(current);
            if (parent is null)
            {
                return full;
            }

            tail.Push(Path.GetFileName(current));
            current = parent;
        }
    }

    private static string Canonical(string directory)
    {
        Directory.CreateDirectory(directory);
        return Libc.RealPath(directory) ?? Path.GetFullPath(directory);
    }
}
