using Orleans.Placement;
using Orleans.Runtime;

namespace SoulBox.Grains.Placement;

/// <summary>Places a grain on the node its key names: a sandbox id starts with its node's name, a node
/// grain's key is the name. See <see cref="NodePinnedPlacementDirector"/>.</summary>
[Serializable, GenerateSerializer, Immutable, SuppressReferenceTracking, Alias("soulbox.NodePinnedPlacement")]
public sealed class NodePinnedPlacement : PlacementStrategy
{
    internal static readonly NodePinnedPlacement Singleton = new();
}

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class NodePinnedPlacementAttribute() : PlacementAttribute(NodePinnedPlacement.Singleton);
