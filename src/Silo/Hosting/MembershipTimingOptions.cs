using Orleans.Configuration;

namespace SoulBox.Silo.Hosting;

/// <summary>How fast the cluster notices a silo is gone (configuration section "SoulBox:Membership"): each silo probes
/// a few others every probe period; a silo that misses <see cref="NumMissedProbesLimit"/> probes in a row is
/// suspected, and <see cref="NumVotesForDeathDeclaration"/> suspicions (fewer when fewer silos are left) declare it
/// dead in the membership table. Its callers then get "lost" and survivors on its Docker host remove its containers.
/// The defaults detect a killed silo in about 10 s or less (Orleans' own take about 30 s); a network that drops
/// packets for seconds at a time needs larger values, or silos that are alive get declared dead.</summary>
public sealed class MembershipTimingOptions
{
    public const string SectionName = "SoulBox:Membership";

    /// <summary>Initial timeout of a liveness probe, and the period between probes (Orleans adapts it between half and
    /// four times this value from the response times it sees). Default 2000 ms (Orleans: 5000).</summary>
    public int ProbeTimeoutMs { get; set; } = 2000;

    /// <summary>Missed probes in a row before a silo suspects another. Default 3.</summary>
    public int NumMissedProbesLimit { get; set; } = 3;

    /// <summary>Silos each silo probes. Default 3.</summary>
    public int NumProbedSilos { get; set; } = 3;

    /// <summary>Suspicions that declare a silo dead (at most <see cref="NumProbedSilos"/>). Default 2.</summary>
    public int NumVotesForDeathDeclaration { get; set; } = 2;

    /// <summary>How long a suspicion counts. Default 60 s (Orleans: 120).</summary>
    public int DeathVoteExpirationSeconds { get; set; } = 60;

    /// <summary>Period between full reads of the membership table (changes also spread by gossip at once). Default 10 s
    /// (Orleans: 60).</summary>
    public int TableRefreshSeconds { get; set; } = 10;

    public IEnumerable<string> Validate()
    {
        if (ProbeTimeoutMs is < 200 or > 60_000) yield return $"{SectionName}:ProbeTimeoutMs must be 200-60000.";
        if (NumMissedProbesLimit is < 1 or > 20) yield return $"{SectionName}:NumMissedProbesLimit must be 1-20.";
        if (NumProbedSilos is < 1 or > 20) yield return $"{SectionName}:NumProbedSilos must be 1-20.";
        if (NumVotesForDeathDeclaration < 1 || NumVotesForDeathDeclaration > NumProbedSilos) yield return $"{SectionName}:NumVotesForDeathDeclaration must be 1 to NumProbedSilos.";
        if (DeathVoteExpirationSeconds is < 5 or > 3600) yield return $"{SectionName}:DeathVoteExpirationSeconds must be 5-3600.";
        if (TableRefreshSeconds is < 1 or > 600) yield return $"{SectionName}:TableRefreshSeconds must be 1-600.";
    }

    public void ApplyTo(ClusterMembershipOptions options)
    {
        options.ProbeTimeout = TimeSpan.FromMilliseconds(ProbeTimeoutMs);
        options.NumMissedProbesLimit = NumMissedProbesLimit;
        options.NumProbedSilos = NumProbedSilos;
        options.NumVotesForDeathDeclaration = NumVotesForDeathDeclaration;
        options.DeathVoteExpirationTimeout = TimeSpan.FromSeconds(DeathVoteExpirationSeconds);
        options.TableRefreshTimeout = TimeSpan.FromSeconds(TableRefreshSeconds);
    }
}
