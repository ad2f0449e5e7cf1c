namespace SoulBox.Grains.Reaping;

/// <summary>How a worker sweeps its Docker engine for containers nobody owns any more (configuration section
/// "SoulBox:Reaper").</summary>
public sealed class ReaperOptions
{
    public const string SectionName = "SoulBox:Reaper";

    /// <summary>Seconds between sweeps of the engine. A silo declared dead triggers a sweep at once; the periodic one
    /// catches what that misses (a container whose create the engine finished after its silo died, a death declared
    /// while this worker was restarting). Default 30 s.</summary>
    public int IntervalSeconds { get; set; } = 30;

    public IEnumerable<string> Validate()
    {
        if (IntervalSeconds is < 1 or > 3600) yield return $"{SectionName}:IntervalSeconds must be 1-3600.";
    }
}
