namespace SoulBox;

/// <summary>A background process to start in a sandbox: Cmd (a shell line) or Argv, not both. Unlike a command
/// (<c>RunCommandAsync</c>) it outlives the call that started it: callers attach and detach, send stdin and
/// signals, and list it, until it exits, is killed, or its lifetime ends.</summary>
[GenerateSerializer, Immutable, Alias("soulbox.ProcessStartRequest")]
public sealed record ProcessStartRequest
{
    /// <summary>A shell command line (run with bash -c).</summary>
    [Id(0)] public string? Cmd { get; init; }
    /// <summary>Program and arguments, run without a shell.</summary>
    [Id(1)] public string[]? Argv { get; init; }
    /// <summary>Working directory; default the template's home directory.</summary>
    [Id(2)] public string? Cwd { get; init; }
    /// <summary>Extra environment variables.</summary>
    [Id(3)] public Dictionary<string, string>? Env { get; init; }
    /// <summary>Keep stdin open for <c>SendProcessInputAsync</c>; false closes it at start (reads see EOF).</summary>
    [Id(4)] public bool KeepStdinOpen { get; init; }
    /// <summary>Wall-clock lifetime in milliseconds; the process tree is killed when it passes. Default and
    /// maximum from the node's options.</summary>
    [Id(5)] public int? LifetimeMs { get; init; }
    /// <summary>A caller-chosen name, shown by <c>ListProcessesAsync</c>.</summary>
    [Id(6)] public string? Tag { get; init; }
}
