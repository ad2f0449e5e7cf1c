using SoulBox.Grains.Pool;
using SoulBox.Grains.Sandboxes;

namespace SoulBox.Grains.State;

/// <summary>State that must outlive a silo: the sandboxes each node hosts (with their tenants), how ended sandboxes
/// ended, and each node's learned demand profile. Redis in a cluster (<c>SoulBox:Redis</c>), memory on a single node.
/// Never on the hot path of a run: written on create and end, read when a sandbox is unknown to the silo asked.</summary>
public interface IClusterStateStore
{
    /// <summary>False when the state lives in this process only (forgotten when it restarts).</summary>
    bool IsDurable { get; }

    /// <summary>Records a live sandbox (or its new expiry) and adds it to its node's live set.</summary>
    Task SandboxLiveAsync(StoredSandbox sandbox, CancellationToken cancellationToken = default);

    /// <summary>Records how a sandbox ended (kept for <see cref="ClusterStateOptions.EndedRetentionHours"/>) and removes
    /// it from its node's live set. <paramref name="sandbox"/>.Ended must be set.</summary>
    Task SandboxEndedAsync(StoredSandbox sandbox, CancellationToken cancellationToken = default);

    /// <summary>The sandbox as last recorded, or null when it was never recorded or its retention has passed.</summary>
    Task<StoredSandbox?> FindSandboxAsync(string sandboxId, CancellationToken cancellationToken = default);

    /// <summary>Ends as <see cref="SandboxEnd.Lost"/> every live sandbox recorded by <paramref name="node"/> in a start of
    /// it (silo generation) up to <paramref name="upToGeneration"/>; for a node that died, or that restarted and cannot
    /// end them itself. Idempotent; returns how many sandboxes it marked.</summary>
    Task<int> MarkNodeLostAsync(string node, int upToGeneration, string reason, CancellationToken cancellationToken = default);

    /// <summary>Saves <paramref name="node"/>'s learned demand profile (all its templates), replacing the previous one.</summary>
    Task SaveDemandProfileAsync(string node, DemandProfile profile, CancellationToken cancellationToken = default);

    /// <summary>The demand profile <paramref name="node"/> saved last, or null.</summary>
    Task<DemandProfile?> LoadDemandProfileAsync(string node, CancellationToken cancellationToken = default);
}
