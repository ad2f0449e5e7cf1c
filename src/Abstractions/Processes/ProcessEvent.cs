namespace SoulBox;

/// <summary>What a <see cref="ProcessEvent"/> carries.</summary>
[GenerateSerializer, Alias("soulbox.ProcessEventKind")]
public enum ProcessEventKind
{
    /// <summary>The first event of every start or attach: the process id.</summary>
    Started,
    /// <summary>A chunk of standard output (<see cref="ProcessEvent.Data"/>).</summary>
    Stdout,
    /// <summary>A chunk of standard error (<see cref="ProcessEvent.Data"/>).</summary>
    Stderr,
    /// <summary>The last event: the process ended (<see cref="ProcessEvent.Exit"/>).</summary>
    Exited,
}

/// <summary>One event of a background process's stream (start, attach): Started, then output while the caller
/// is attached, then Exited. Output produced while no caller is attached is not kept.</summary>
[GenerateSerializer, Immutable, Alias("soulbox.ProcessEvent")]
public sealed record ProcessEvent
{
    /// <summary>What the event carries.</summary>
    [Id(0)] public ProcessEventKind Kind { get; init; }
    /// <summary>The process id inside the sandbox.</summary>
    [Id(1)] public int Pid { get; init; }
    /// <summary>Output bytes (Stdout, Stderr), as produced; not necessarily whole lines or UTF-8 characters.</summary>
    [Id(2)] public byte[]? Data { get; init; }
    /// <summary>How it ended (Exited only).</summary>
    [Id(3)] public ProcessExit? Exit { get; init; }
}

/// <summary>How a background process ended.</summary>
[GenerateSerializer, Immutable, Alias("soulbox.ProcessExit")]
public sealed record ProcessExit
{
    /// <summary>Exit code, or null when a signal ended it.</summary>
    [Id(0)] public int? ExitCode { get; init; }
    /// <summary>The signal that ended it, if any.</summary>
    [Id(1)] public int? Signal { get; init; }
    /// <summary>Ended because its lifetime passed.</summary>
    [Id(2)] public bool TimedOut { get; init; }
    /// <summary>Wall-clock time from start to end, in milliseconds.</summary>
    [Id(3)] public double WallTimeMs { get; init; }
}
