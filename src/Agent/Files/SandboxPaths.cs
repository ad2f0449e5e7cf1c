using SoulBox.Agent.Protocol;
using SoulBox.Agent.Worker;

namespace SoulBox.Agent.Files;

/// <summary>Maps request paths onto the sandbox's writable roots, the work directory and the tmp directory.
/// Relative paths are under the work directory; "." and ".." are applied lexically (a ".." after a symlink
/// cancels the symlink's name, as in Go's filepath.Clean) and the result must lie in one of the roots.
/// This is only the first gate: the path is then opened beneath the root's handle by
/// <see cref="BeneathResolver"/>, which decides what symlinks may do.</summary>
internal sealed class SandboxPaths : IDisposable
{
    private readonly SandboxRoot[] _roots;

    public SandboxPaths(string workDirectory, string tmpDirectory, BeneathResolver? resolver = null)
    {
        Work = new SandboxRoot(workDirectory);
        Tmp = new SandboxRoot(tmpDirectory);
        // Longest first, so a root nested in the other wins for the paths beneath it.
        _roots = [.. new[] { Work, Tmp }.OrderByDescending(root => root.Segments.Length)];
        Resolver = resolver ?? new BeneathResolver();
    }

    public SandboxRoot Work { get; }

    public SandboxRoot Tmp { get; }

    public string WorkDirectory => Work.Path;

    public string TmpDirectory => Tmp.Path;

    public BeneathResolver Resolver { get; }

    public SandboxPath Parse(string? path)
    {
        var requested = string.IsNullOrEmpty(path) ? "." : path;
        if (requested.Contains('\0'))
        {
            throw new AgentException(AgentErrorCodes.BadRequest, "Path contains a NUL character.");
        }

        var segments = new List<string>();
        if (!requested.StartsWith('/'))
        {
            segments.AddRange(Work.Segments);
        }

        foreach (var segment in requested.Split('/'))
        {
            if (segment is "" or ".")
            {
                continue;
            }

            if (segment == "..")
            {
                if (segments.Count > 0)
                {
                    segments.RemoveAt(segments.Count - 1);
                }
            }
            else
            {
                segments.Add(segment);
            }
        }

        foreach (var root in _roots)
        {
            if (segments.Count >= root.Segments.Length && segments.Take(root.Segments.Length).SequenceEqual(root.Segments, StringComparer.Ordinal))
            {
                return new SandboxPath(root, string.Join('/', segments.Skip(root.Segments.Length)), requested);
            }
        }

        throw new AgentException(AgentErrorCodes.PathEscape,
            $"Path '{requested}' is outside the sandbox's writable directories ({Work.Path} and {Tmp.Path}).");
    }

    public void Dispose()
    {
        Work.Dispose();
        Tmp.Dispose();
    }
}
