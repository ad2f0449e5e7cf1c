namespace SoulBox.Grains;

/// <summary>One per worker node (key = node name), pinned there: predicts sandbox demand per template and keeps
/// that many warm containers ready, within the node's budget.</summary>
[Alias("soulbox.IPoolManagerGrain")]
public interface IPoolManagerGrain : IGrainWithStringKey
{
    /// <summary>Starts the planning loop (called by the node at start-up; idempotent).</summary>
    [Alias("Start")]
    Task StartAsync();

    /// <summary>The warm pool of each template: warm and starting containers, target, predicted demand.</summary>
    [Alias("GetStatus")]
    Task<PoolStatus[]> GetStatusAsync();
}

/// <summary>One template's warm pool on a node.</summary>
[GenerateSerializer, Immutable, Alias("soulbox.PoolStatus")]
public sealed record PoolStatus
{
    /// <summary>The template.</summary>
    [Id(0)] public required string Template { get; init; }
    /// <summary>Warm containers ready to be claimed.</summary>
    [Id(1)] public int Warm { get; init; }
    /// <summary>Containers being started for the pool.</summary>
    [Id(2)] public int Starting { get; init; }
    /// <summary>How many warm containers the planner wants now.</summary>
    [Id(3)] public int Target { get; init; }
    /// <summary>Predicted sandbox creations per second for the template.</summary>
    [Id(4)] public double PredictedPerSecond { get; init; }
}
