namespace SoulBox;

/// <summary>A background process of a sandbox, as <c>ListProcessesAsync</c> reports it.</summary>
[GenerateSerializer, Immutable, Alias("soulbox.ProcessInfo")]
public sealed record ProcessInfo
{
    /// <summary>Its process id inside the sandbox.</summary>
    [Id(0)] public int Pid { get; init; }
    /// <summary>Program and arguments as started (a shell line shows as bash -c &lt;line&gt;).</summary>
    [Id(1)] public string[] Argv { get; init; } = [];
    /// <summary>Working directory it was started in.</summary>
    [Id(2)] public string? Cwd { get; init; }
    /// <summary>The extra environment variables it was started with.</summary>
    [Id(3)] public Dictionary<string, string> Env { get; init; } = [];
    /// <summary>The caller's tag, if any.</summary>
    [Id(4)] public string? Tag { get; init; }
    /// <summary>When it started.</summary>
    [Id(5)] public DateTimeOffset StartedAt { get; init; }
}
