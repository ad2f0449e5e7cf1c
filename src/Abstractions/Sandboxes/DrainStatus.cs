namespace SoulBox;

/// <summary>Where a worker node is in draining: <c>active</c> (takes work), <c>draining</c> (takes no new work,
/// finishes what it has until <see cref="Deadline"/>) or <c>drained</c> (nothing left; the process exits unless
/// SoulBox:Drain:ExitWhenDrained is off).</summary>
[GenerateSerializer, Immutable, Alias("soulbox.DrainStatus")]
public sealed record DrainStatus
{
    /// <summary>Takes new work.</summary>
    public const string Active = "active";
    /// <summary>Takes no new work; finishes what it has until the deadline.</summary>
    public const string Draining = "draining";
    /// <summary>Nothing left to finish.</summary>
    public const string Drained = "drained";

    /// <summary>The worker node.</summary>
    [Id(0)] public required string Node { get; init; }
    /// <summary><see cref="Active"/>, <see cref="Draining"/> or <see cref="Drained"/>.</summary>
    [Id(1)] public required string State { get; init; }
    /// <summary>What started the drain: <c>admin</c> (the HTTP call) or <c>shutdown</c> (SIGTERM).</summary>
    [Id(2)] public string? Trigger { get; init; }
    /// <summary>When the drain started (null while active).</summary>
    [Id(3)] public DateTimeOffset? StartedAt { get; init; }
    /// <summary>When sandboxes still alive are ended (reason <c>drained</c>) and one-shot runs are no longer waited for.</summary>
    [Id(4)] public DateTimeOffset? Deadline { get; init; }
    /// <summary>Sandboxes still alive on the node.</summary>
    [Id(5)] public int Sandboxes { get; init; }
    /// <summary>One-shot runs running or waiting for a slot on the node.</summary>
    [Id(6)] public int OneShotRuns { get; init; }
    /// <summary>Sandboxes ended at the deadline.</summary>
    [Id(7)] public int SandboxesEnded { get; init; }
}
