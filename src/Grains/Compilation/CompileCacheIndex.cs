namespace SoulBox.Grains.Compilation;

/// <summary>Which entries the compile cache holds, their sizes and their order of use: a size-bounded
/// least-recently-used list. Pure bookkeeping (no files, no locks): <see cref="CompileCache"/> calls it under its
/// lock and deletes the files of what it evicts.</summary>
internal sealed class CompileCacheIndex(long maxBytes)
{
    private readonly LinkedList<(string Key, long Bytes)> _byUse = new();
    private readonly Dictionary<string, LinkedListNode<(string Key, long Bytes)>> _entries = new(StringComparer.Ordinal);

    public long Bytes { get; private set; }

    public int Count => _entries.Count;

    public bool Contains(string key) => _entries.ContainsKey(key);

    /// <summary>Marks the entry as just used; false when it is not held.</summary>
    public bool Touch(string key)
    {
        if (!_entries.TryGetValue(key, out var node))
        {
            return false;
        }

        _byUse.Remove(node);
        _byUse.AddFirst(node);
        return true;
    }

    /// <summary>Adds (or replaces) an entry as the most recently used, then evicts least recently used entries until
    /// the total fits. Returns the evicted keys; the new entry itself when it alone is larger than the bound.</summary>
    public IReadOnlyList<string> Add(string key, long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        Remove(key);
        _entries[key] = _byUse.AddFirst((key, bytes));
        Bytes += bytes;
        var evicted = new List<string>();
        while (Bytes > maxBytes && _byUse.Last is { } oldest)
        {
            Remove(oldest.Value.Key);
            evicted.Add(oldest.Value.Key);
        }

        return evicted;
    }

    public bool Remove(string key)
    {
        if (!_entries.Remove(key, out var node))
        {
            return false;
        }

        _byUse.Remove(node);
        Bytes -= node.Value.Bytes;
        return true;
    }

    /// <summary>Keys from most to least recently used.</summary>
    public IEnumerable<string> KeysByUse() => _byUse.Select(e => e.Key);
}
