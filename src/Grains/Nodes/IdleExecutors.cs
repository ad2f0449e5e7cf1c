namespace SoulBox.Grains.Nodes;

/// <summary>The idle one-shot executors of a node, keyed by (template, memory bucket), with a cap per key and a
/// cap over all keys. Adding past a cap evicts the executor idle longest (least recently used), of the same key
/// for the per-key cap, of any key for the node's cap, and hands it back to be removed. Taking returns the most
/// recently returned executor of the key, so the warmest one serves and old ones age towards eviction.
/// Pure bookkeeping (the caller removes what is evicted); the node's cap is small, so lists are scanned.</summary>
internal sealed class IdleExecutors<TKey, TItem>(int maxPerKey, int maxTotal)
    where TKey : IEquatable<TKey>
{
    private readonly Lock _lock = new();
    // Oldest return first.
    private readonly LinkedList<(TKey Key, TItem Item)> _idle = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _idle.Count;
            }
        }
    }

    public IReadOnlyList<(TKey Key, int Count)> CountByKey()
    {
        lock (_lock)
        {
            return [.. _idle.GroupBy(e => e.Key).Select(g => (g.Key, g.Count()))];
        }
    }

    /// <summary>The most recently returned idle item of <paramref name="key"/>, removed from the set.</summary>
    public bool TryTake(TKey key, out TItem item)
    {
        lock (_lock)
        {
            for (var node = _idle.Last; node is not null; node = node.Previous)
            {
                if (node.Value.Key.Equals(key))
                {
                    _idle.Remove(node);
                    item = node.Value.Item;
                    return true;
                }
            }
        }

        item = default!;
        return false;
    }

    /// <summary>Keeps <paramref name="item"/> as the most recently used; returns what no longer fits (possibly
    /// <paramref name="item"/> itself when a cap is zero), for the caller to remove.</summary>
    public IReadOnlyList<TItem> Add(TKey key, TItem item)
    {
        List<TItem> evicted = [];
        lock (_lock)
        {
            _idle.AddLast((key, item));
            if (_idle.Count(e => e.Key.Equals(key)) > maxPerKey)
            {
                var oldest = _idle.First;
                while (!oldest!.Value.Key.Equals(key))
                {
                    oldest = oldest.Next;
                }

                _idle.Remove(oldest);
                evicted.Add(oldest.Value.Item);
            }

            while (_idle.Count > maxTotal)
            {
                evicted.Add(_idle.First!.Value.Item);
                _idle.RemoveFirst();
            }
        }

        return evicted;
    }

    /// <summary>Removes and returns every idle item (at shutdown).</summary>
    public IReadOnlyList<TItem> Drain()
    {
        lock (_lock)
        {
            var all = _idle.Select(e => e.Item).ToList();
            _idle.Clear();
            return all;
        }
    }
}
