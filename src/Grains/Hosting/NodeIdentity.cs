namespace SoulBox.Grains.Hosting;

/// <summary>The name of this worker node: the silo name, which is also the prefix of every sandbox id
/// placed here and the value of the soulbox.node label on its containers.</summary>
public sealed record NodeIdentity(string Name);
