using Microsoft.Extensions.Options;
using SoulBox.Grains.Pool;
using SoulBox.Grains.Sandboxes;

namespace SoulBox.Grains.State;

/// <summary>The cluster state of a single node without Redis: in this process, so it serves this node's gateway and
/// is forgotten when the process ends (after a restart, an id of an earlier run answers 404). Bounded: records leave
/// after their retention, and the oldest leave first beyond <see cref="MaxSandboxes"/>.</summary>
public sealed class InMemoryClusterStateStore(IOptions<ClusterStateOptions> options, TimeProvider time) : IClusterStateStore
{
    public const int MaxSandboxes = 100_000;
    private readonly Dictionary<string, (StoredSandbox Sandbox, DateTimeOffset Until)> _sandboxes = [];
    private readonly Dictionary<string, DemandProfile> _profiles = [];
    private readonly Lock _lock = new();

    public bool IsDurable => false;

    public Task SandboxLiveAsync(StoredSandbox sandbox, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!(_sandboxes.TryGetValue(sandbox.Id, out var known) && known.Sandbox.Ended is not null))
            {
                Put(sandbox with { Ended = null }, sandbox.ExpiresAt + options.Value.EndedRetention);
            }
        }

        return Task.CompletedTask;
    }

    public Task SandboxEndedAsync(StoredSandbox sandbox, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sandbox.Ended);
        lock (_lock)
        {
            Put(sandbox, sandbox.Ended.At + options.Value.EndedRetention);
        }

        return Task.CompletedTask;
    }

    public Task<StoredSandbox?> FindSandboxAsync(string sandboxId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_sandboxes.TryGetValue(sandboxId, out var entry) && entry.Until > time.GetUtcNow() ? entry.Sandbox : null);
        }
    }

    public Task<int> MarkNodeLostAsync(string node, int upToGeneration, string reason, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            var lost = _sandboxes.Values
                .Select(e => e.Sandbox)
                .Where(s => s.Node == node && s.Generation <= upToGeneration && s.Ended is null)
                .ToList();
            foreach (var sandbox in lost)
            {
                Put(sandbox with { Ended = new EndedSandbox(SandboxEnd.Lost, now, reason) }, now + options.Value.EndedRetention);
            }

            return Task.FromResult(lost.Count);
        }
    }

    public Task SaveDemandProfileAsync(string node, DemandProfile profile, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _profiles[node] = profile;
        }

        return Task.CompletedTask;
    }

    public Task<DemandProfile?> LoadDemandProfileAsync(string node, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_profiles.GetValueOrDefault(node));
        }
    }

    private void Put(StoredSandbox sandbox, DateTimeOffset until)
    {
        _sandboxes[sandbox.Id] = (sandbox, until);
        if (_sandboxes.Count > MaxSandboxes)
        {
            // Rare (a node keeps far fewer): drop what has passed its retention, then the records that leave soonest.
            var now = time.GetUtcNow();
            foreach (var id in _sandboxes.Where(e => e.Value.Until <= now).Select(e => e.Key).ToList())
            {
                _sandboxes.Remove(id);
            }

            foreach (var id in _sandboxes.OrderBy(e => e.Value.Until).Take(_sandboxes.Count - MaxSandboxes).Select(e => e.Key).ToList())
            {
                _sandboxes.Remove(id);
            }
        }
    }
}
