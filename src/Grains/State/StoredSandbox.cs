using SoulBox.Grains.Sandboxes;

namespace SoulBox.Grains.State;

/// <summary>What the cluster remembers of one sandbox: whose it is, which node (and which start of that node, its
/// Orleans silo generation) hosts it, until when it may live, and how it ended once it has.</summary>
/// <param name="Tenant">The owner; null for sandboxes of the .NET client (the default tenant's).</param>
public sealed record StoredSandbox(string Id, string Node, int Generation, string? Tenant, DateTimeOffset ExpiresAt, EndedSandbox? Ended = null);
