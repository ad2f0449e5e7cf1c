namespace SoulBox;

/// <summary>A process to run in a sandbox: Cmd (a shell string) or Argv, not both.</summary>
[GenerateSerializer, Immutable, Alias("soulbox.CommandRequest")]
public sealed record CommandRequest
{
    /// <summary>A shell command line (run with bash -c).</summary>
    [Id(0)] public string? Cmd { get; init; }
    /// <summary>Program and arguments, run without a shell.</summary>
    [Id(1)] public string[]? Argv { get; init; }
    /// <summary>Working directory; default the template's home (/home/sandbox; /home/user in base and code-interpreter).</summary>
    [Id(2)] public string? Cwd { get; init; }
    /// <summary>Extra environment variables.</summary>
    [Id(3)] public Dictionary<string, string>? Env { get; init; }
    /// <summary>Bytes written to stdin, which is then closed.</summary>
    [Id(4)] public byte[]? Stdin { get; init; }
    /// <summary>Wall-clock limit in milliseconds; default from the node's options.</summary>
    [Id(5)] public int? TimeoutMs { get; init; }
    /// <summary>Per-stream output cap in bytes; default from the node's options.</summary>
    [Id(6)] public long? MaxOutputBytes { get; init; }
}
