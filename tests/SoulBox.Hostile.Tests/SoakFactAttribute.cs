namespace SoulBox.Hostile.Tests;

/// <summary>A long case (minutes): skipped unless SOULBOX_HOSTILE_SOAK=1, so .ci/run stays short.
/// Run them with <c>SOULBOX_HOSTILE_SOAK=1 scripts/test.sh --filter Category=Soak</c>.</summary>
public sealed class SoakFactAttribute : FactAttribute
{
    public const string Switch = "SOULBOX_HOSTILE_SOAK";

    public SoakFactAttribute()
    {
        if (Environment.GetEnvironmentVariable(Switch) != "1")
        {
            Skip = $"soak: set {Switch}=1 to run";
        }
    }

    /// <summary>How long a soak runs: SOULBOX_HOSTILE_SOAK_SECONDS, default 300.</summary>
    public static TimeSpan Duration =>
        TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("SOULBOX_HOSTILE_SOAK_SECONDS"), out var s) ? s : 300);
}
