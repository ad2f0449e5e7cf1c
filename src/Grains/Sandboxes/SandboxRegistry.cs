using System.Collections.Concurrent;

namespace SoulBox.Grains.Sandboxes;

/// <summary>How a sandbox ended, remembered so later calls get the right error instead of "not found".</summary>
public enum SandboxEnd
{
    Killed,
    Expired,
    Lost,
    /// <summary>Its node was drained and the drain's deadline passed (answered like a lost sandbox, with the reason).</summary>
    Drained,
}

public sealed record EndedSandbox(SandboxEnd How, DateTimeOffset At, string Reason)
{
    /// <summary>The error every later call on the sandbox gets (409 over HTTP).</summary>
    public SoulBoxException ToException(string sandboxId) => How switch
    {
        SandboxEnd.Expired => new SandboxExpiredException(sandboxId, At),
        SandboxEnd.Killed => new SandboxKilledException(sandboxId),
        _ => new SandboxLostException(sandboxId, Reason),
    };
}

/// <summary>This node's live sandboxes (for listings and load) and recently ended ones (for clear errors).
/// In memory: a node that restarts has reaped its containers, so nothing here would be true any more.</summary>
public sealed class SandboxRegistry(TimeProvider time)
{
    private const int MaxEnded = 10_000;
    private readonly ConcurrentDictionary<string, SandboxInfo> _live = new();
    private readonly ConcurrentDictionary<string, EndedSandbox> _ended = new();
    private readonly ConcurrentQueue<string> _endedOrder = new();

    public int Count => _live.Count;

    public IEnumerable<SandboxInfo> Live => _live.Values;

    public void Upsert(SandboxInfo info) => _live[info.Id] = info;

    public void End(string id, SandboxEnd how, string reason)
    {
        _live.TryRemove(id, out _);
        if (_ended.TryAdd(id, new EndedSandbox(how, time.GetUtcNow(), reason)))
        {
            _endedOrder.Enqueue(id);
            while (_endedOrder.Count > MaxEnded && _endedOrder.TryDequeue(out var oldest))
            {
                _ended.TryRemove(oldest, out _);
            }
        }
    }

    public EndedSandbox? Ended(string id) => _ended.GetValueOrDefault(id);

    /// <summary>Live sandboxes whose metadata contains every filter pair, of one tenant when given.</summary>
    public SandboxInfo[] Find(IReadOnlyDictionary<string, string>? metadata, string? tenant) =>
        _live.Values
            .Where(s => tenant is null || s.Tenant == tenant)
            .Where(s => metadata is null || metadata.All(kv => s.Metadata.TryGetValue(kv.Key, out var v) && v == kv.Value))
            .OrderBy(s => s.CreatedAt)
            .ToArray();
}
