using SoulBox.Silo.E2b.Envd.Protos.Filesystem;

namespace SoulBox.Silo.E2b.Envd;

/// <summary>The envd events between two listings of a watched tree (keyed by name relative to the watched directory):
/// removals first, then creations, writes (a file's size or modification time changed) and mode changes.</summary>
internal static class WatchChanges
{
    public readonly record struct Change(string Name, EventType Type, SandboxFileInfo? Entry);

    public static List<Change> Between(IReadOnlyDictionary<string, SandboxFileInfo> before, IReadOnlyDictionary<string, SandboxFileInfo> after)
    {
        var changes = new List<Change>();
        foreach (var (name, _) in before)
        {
            if (!after.ContainsKey(name))
            {
                changes.Add(new Change(name, EventType.Remove, null));
            }
        }

        foreach (var (name, now) in after)
        {
            if (!before.TryGetValue(name, out var was) || was.IsDirectory != now.IsDirectory || was.IsSymlink != now.IsSymlink)
            {
                if (was is not null)
                {
                    changes.Add(new Change(name, EventType.Remove, null)); // replaced by an entry of another kind
                }

                changes.Add(new Change(name, EventType.Create, now));
            }
            else if (!now.IsDirectory && (was.Size != now.Size || was.ModifiedAt != now.ModifiedAt))
            {
                changes.Add(new Change(name, EventType.Write, now));
            }
            else if (was.Mode != now.Mode)
            {
                changes.Add(new Change(name, EventType.Chmod, now));
            }
        }

        return changes;
    }
}
