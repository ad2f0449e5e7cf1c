namespace SoulBox.Grains;

/// <summary>One per worker node (key = node name), pinned there: predicts sandbox demand per template and keeps
/// that many warm containers ready, within the node's budget.</summary>
[Alias("soulbox.IPoolManagerGrain")]
public interface IPoolManagerGrain : IGrainWithStringKey
{
    /// <summary>Starts the planning loop (called by the node at start-up; idempotent).</summary>
    [Alias("Start")]
    Task StartAsync();

    [Alias("GetStatus")]
    Task<PoolStatus[]> GetStatusAsync();
}

[GenerateSerializer, Immutable, Alias("soulbox.PoolStatus")]
public sealed record PoolStatus
{
    [Id(0)] public required string Template { get; init; }
    [Id(1)] public int Warm { get; init; }
    [Id(2)] public int Starting { get; init; }
    [Id(3)] public int Target { get; init; }
    [Id(4)] public double PredictedPerSecond { get; init; }
}
