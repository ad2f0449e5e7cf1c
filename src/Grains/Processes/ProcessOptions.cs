namespace SoulBox.Grains.Processes;

/// <summary>Bounds of background processes on a worker node (configuration section "SoulBox:Processes").</summary>
public sealed class ProcessOptions
{
    public const string SectionName = "SoulBox:Processes";

    /// <summary>Background processes one sandbox may run at once (starting ones included); one more is refused with
    /// error too_many_processes (HTTP 429). Default 16.</summary>
    public int MaxProcessesPerSandbox { get; set; } = 16;

    /// <summary>Lifetime of a background process when the caller gives none; never beyond its sandbox's own end.
    /// Default 3 600 000 ms (1 h).</summary>
    public int DefaultLifetimeMs { get; set; } = 3_600_000;

    /// <summary>Longest lifetime a caller may ask for. Default 86 400 000 ms (24 h).</summary>
    public int MaxLifetimeMs { get; set; } = 86_400_000;

    /// <summary>Output bytes buffered for one attached caller that has not taken them yet (each chunk counts 256 bytes
    /// more). A slow caller loses what does not fit — as output produced while nobody is attached is lost — but never
    /// the Exited event; the process and the other callers never wait for it. Default 256 KiB.</summary>
    public int AttachBufferBytes { get; set; } = 256 * 1024;

    /// <summary>Callers attached to one process at once; one more is refused with too_many_requests (HTTP 429).
    /// Default 8.</summary>
    public int MaxAttachmentsPerProcess { get; set; } = 8;

    /// <summary>How long an ended process still answers an attach (Started, then Exited). Default 60 000 ms.</summary>
    public int RecentExitRetentionMs { get; set; } = 60_000;

    /// <summary>Ended processes remembered per sandbox for that; the oldest is forgotten first. Default 64.</summary>
    public int MaxRecentExits { get; set; } = 64;

    /// <summary>Largest stdin chunk of one SendProcessInput call; more answers too_large (HTTP 413). Default 1 MiB.</summary>
    public int MaxStdinChunkBytes { get; set; } = 1024 * 1024;

    public IEnumerable<string> Validate()
    {
        if (MaxProcessesPerSandbox < 1) yield return $"{SectionName}:MaxProcessesPerSandbox must be at least 1.";
        if (DefaultLifetimeMs < 1 || DefaultLifetimeMs > MaxLifetimeMs) yield return $"{SectionName}:DefaultLifetimeMs must be positive and at most MaxLifetimeMs.";
        if (AttachBufferBytes < 64 * 1024) yield return $"{SectionName}:AttachBufferBytes must be at least 65536 (two output chunks).";
        if (MaxAttachmentsPerProcess < 1) yield return $"{SectionName}:MaxAttachmentsPerProcess must be at least 1.";
        if (RecentExitRetentionMs < 0) yield return $"{SectionName}:RecentExitRetentionMs must not be negative.";
        if (MaxRecentExits < 0) yield return $"{SectionName}:MaxRecentExits must not be negative.";
        if (MaxStdinChunkBytes < 1 || MaxStdinChunkBytes > Agent.Protocol.AgentProtocol.MaxFrameBytes - 64 * 1024)
        {
            yield return $"{SectionName}:MaxStdinChunkBytes must be positive and leave 64 KiB of the agent's {Agent.Protocol.AgentProtocol.MaxFrameBytes}-byte frame.";
        }
    }
}
