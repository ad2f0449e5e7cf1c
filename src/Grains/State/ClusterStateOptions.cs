namespace SoulBox.Grains.State;

/// <summary>Cluster-wide state that outlives a silo (configuration section "SoulBox:State"): the ended-sandbox registry,
/// each sandbox's tenant and node, and each node's learned demand profile. Kept in Redis when SoulBox:Redis is set,
/// in this process's memory otherwise (a single node then forgets it on restart).</summary>
public sealed class ClusterStateOptions
{
    public const string SectionName = "SoulBox:State";

    /// <summary>How long an ended (killed, expired, lost) sandbox keeps answering 409 with its reason, on any gateway and
    /// after any restart, before its id answers 404 like one that never existed. Default 24 hours.</summary>
    public double EndedRetentionHours { get; set; } = 24;

    /// <summary>Prefix of every Redis key of this state; give clusters that share one Redis distinct prefixes.
    /// Default "soulbox:".</summary>
    public string KeyPrefix { get; set; } = "soulbox:";

    /// <summary>How often a worker saves its learned demand profile (it also saves on shutdown). Default 60 s.</summary>
    public int DemandSaveIntervalSeconds { get; set; } = 60;

    /// <summary>Longest a sandbox's end (kill, expiry, loss) and a node's start wait for the store; a slower store (Redis
    /// away) is written in the background, retried for <see cref="RetrySeconds"/>. Default 2000 ms.</summary>
    public int WriteWaitMs { get; set; } = 2000;

    /// <summary>How long a failed write is retried before it is given up (and logged). Default 120 s.</summary>
    public int RetrySeconds { get; set; } = 120;

    public TimeSpan EndedRetention => TimeSpan.FromHours(EndedRetentionHours);

    public IEnumerable<string> Validate()
    {
        if (EndedRetentionHours is <= 0 or > 24 * 365) yield return $"{SectionName}:EndedRetentionHours must be more than 0 and at most 8760.";
        if (string.IsNullOrWhiteSpace(KeyPrefix)) yield return $"{SectionName}:KeyPrefix must not be empty.";
        if (DemandSaveIntervalSeconds < 1) yield return $"{SectionName}:DemandSaveIntervalSeconds must be at least 1.";
        if (WriteWaitMs < 0) yield return $"{SectionName}:WriteWaitMs must not be negative.";
        if (RetrySeconds < 0) yield return $"{SectionName}:RetrySeconds must not be negative.";
    }
}
