namespace SoulBox.Cluster.Tests;

/// <summary>Every class of the cluster suite shares one xunit collection: each starts processes and containers on
/// the one Docker engine and Redis of this machine, and running them side by side would only make each slower.</summary>
[CollectionDefinition(Name)]
public sealed class ClusterSuite
{
    public const string Name = "cluster";
}
