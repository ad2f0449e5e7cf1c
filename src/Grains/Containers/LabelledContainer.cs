namespace SoulBox.Grains.Containers;

/// <summary>A SoulBox container as the engine lists it (any node's, any cluster's): enough to decide whether to reap
/// it and to remove it with its uid lease and run directory.</summary>
public sealed record LabelledContainer(string Id, string Name, IReadOnlyDictionary<string, string> Labels, string? RunDirectory);
