namespace SoulBox.Grains.Containers;

/// <summary>What one sandbox container is: its image and its limits. Isolation settings that are the
/// same for every container (no network, read-only root, dropped capabilities) live in the runtime.</summary>
public sealed record ContainerSpec
{
    public required string Template { get; init; }
    public required long MemoryBytes { get; init; }
    public required double Cpu { get; init; }
    public required int PidsLimit { get; init; }
    public required int WorkDirSizeMb { get; init; }
    public required int TmpSizeMb { get; init; }
    /// <summary>Sandbox id for the label, when the container is made for one sandbox.</summary>
    public string? SandboxId { get; init; }
    /// <summary>"sandbox" or "executor" (one-shot runs); a label, for operators and the reaper.</summary>
    public string Purpose { get; init; } = "sandbox";
}
