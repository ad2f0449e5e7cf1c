namespace SoulBox.Grains.Pool;

/// <summary>Warm-pool settings of a worker node (configuration section "SoulBox:Pool").</summary>
public sealed class PoolOptions
{
    public const string SectionName = "SoulBox:Pool";

    /// <summary>Keep warm containers at all (off: every sandbox starts its own container). Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Warm containers kept per template even with no demand. Default 1. The language templates
    /// (<see cref="SoulBox.Templates.Optional"/>: gcc, rust, scripting, ...) keep none without demand unless listed in
    /// <see cref="Templates"/>.</summary>
    public int MinWarmPerTemplate { get; set; } = 1;

    /// <summary>Most warm containers per template. Default 16.</summary>
    public int MaxWarmPerTemplate { get; set; } = 16;

    /// <summary>Most warm containers on the node over all templates (the memory budget in containers). Default 32.</summary>
    public int MaxWarmTotal { get; set; } = 32;

    /// <summary>How far ahead the pool covers predicted demand; roughly a container's start time plus margin. Default 10 s.</summary>
    public int HorizonSeconds { get; set; } = 10;

    /// <summary>How often the pool manager re-plans. Default 1000 ms.</summary>
    public int IntervalMs { get; set; } = 1000;

    /// <summary>Containers started at once while filling the pool (start-up is CPU-bound). Default 2.</summary>
    public int MaxConcurrentStarts { get; set; } = 2;

    /// <summary>Templates to pre-warm; empty = every template whose image is present. Default empty.</summary>
    public string[] Templates { get; set; } = [];

    public IEnumerable<string> Validate()
    {
        if (MinWarmPerTemplate < 0 || MinWarmPerTemplate > MaxWarmPerTemplate) yield return $"{SectionName}:MinWarmPerTemplate must be between 0 and MaxWarmPerTemplate.";
        if (MaxWarmTotal < 0) yield return $"{SectionName}:MaxWarmTotal must not be negative.";
        if (HorizonSeconds <= 0) yield return $"{SectionName}:HorizonSeconds must be positive.";
        if (IntervalMs < 50) yield return $"{SectionName}:IntervalMs must be at least 50.";
        if (MaxConcurrentStarts <= 0) yield return $"{SectionName}:MaxConcurrentStarts must be positive.";
    }
}
