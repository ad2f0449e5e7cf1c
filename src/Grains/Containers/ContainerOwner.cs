using Orleans.Runtime;

namespace SoulBox.Grains.Containers;

/// <summary>Who this worker's containers belong to, written on each as labels: the cluster, the node (silo name) and
/// this start of it (the silo address, whose generation is new at every start).</summary>
public sealed record ContainerOwner(string ClusterId, string Node, SiloAddress Silo);
