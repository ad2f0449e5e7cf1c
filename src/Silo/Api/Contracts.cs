namespace SoulBox.Silo.Api;

// HTTP wire shapes of REST v1 that differ from the grain DTOs (results such as CodeRunResult, CommandResult,
// ExecuteResult, SandboxFileInfo and TemplateInfo go out as they are).

/// <summary>Body of POST /v1/sandboxes; every field is optional.</summary>
public sealed record CreateSandboxBody
{
    /// <summary>python (default), node, go or java.</summary>
    public string? Template { get; init; }
    /// <summary>Lifetime in seconds; default 300.</summary>
    public int? TimeoutSeconds { get; init; }
    public Dictionary<string, string>? Env { get; init; }
    public Dictionary<string, string>? Metadata { get; init; }
    public double? Cpu { get; init; }
    public int? MemoryMb { get; init; }
}

/// <summary>A sandbox as the HTTP API shows it.</summary>
public sealed record SandboxView
{
    public required string Id { get; init; }
    public required string Template { get; init; }
    public required string Node { get; init; }
    public required string Tenant { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset ExpiresAt { get; init; }
    public Dictionary<string, string> Metadata { get; init; } = [];
    public double Cpu { get; init; }
    public int MemoryMb { get; init; }

    public static SandboxView From(SandboxInfo info) => new()
    {
        Id = info.Id,
        Template = info.Template,
        Node = info.Node,
        Tenant = info.Tenant ?? Auth.AuthOptions.DefaultTenant,
        CreatedAt = info.CreatedAt,
        ExpiresAt = info.ExpiresAt,
        Metadata = info.Metadata,
        Cpu = info.Cpu,
        MemoryMb = info.MemoryMb,
    };
}

/// <summary>Body of POST /v1/sandboxes/{id}/timeout: the remaining lifetime from now.</summary>
public sealed record SetTimeoutBody
{
    public int TimeoutSeconds { get; init; }
}

/// <summary>Body of POST /v1/sandboxes/{id}/code.</summary>
public sealed record RunCodeBody
{
    public string? Code { get; init; }
    /// <summary>Language or alias; default the template's language.</summary>
    public string? Language { get; init; }
    public string? ContextId { get; init; }
    public Dictionary<string, string>? Env { get; init; }
    public int? TimeoutMs { get; init; }

    public CodeRunRequest ToRequest() => new() { Code = Code ?? "", Language = Language, ContextId = ContextId, Env = Env, TimeoutMs = TimeoutMs };
}

/// <summary>Body of POST /v1/sandboxes/{id}/contexts.</summary>
public sealed record CreateContextBody
{
    /// <summary>python or javascript (or an alias); default the template's language.</summary>
    public string? Language { get; init; }
    /// <summary>The kernel's working directory (absolute, or relative to the template's home); default the home.</summary>
    public string? Cwd { get; init; }
}

/// <summary>A code context: its id (for runs' contextId), language and working directory.</summary>
public sealed record ContextView(string Id, string Language, string Cwd);

/// <summary>Body of POST /v1/sandboxes/{id}/commands: cmd (a shell string) or argv.</summary>
public sealed record RunCommandBody
{
    public string? Cmd { get; init; }
    public string[]? Argv { get; init; }
    public string? Cwd { get; init; }
    public Dictionary<string, string>? Env { get; init; }
    /// <summary>Text written to stdin (UTF-8), which is then closed.</summary>
    public string? Stdin { get; init; }
    /// <summary>Binary stdin as base64 (instead of Stdin).</summary>
    public string? StdinBase64 { get; init; }
    public int? TimeoutMs { get; init; }
    public long? MaxOutputBytes { get; init; }

    public CommandRequest ToRequest() => new()
    {
        Cmd = Cmd,
        Argv = Argv,
        Cwd = Cwd,
        Env = Env,
        Stdin = StdinBase64 is { } base64 ? DecodeBase64(base64) : Stdin is null ? null : System.Text.Encoding.UTF8.GetBytes(Stdin),
        TimeoutMs = TimeoutMs,
        MaxOutputBytes = MaxOutputBytes,
    };

    private static byte[] DecodeBase64(string text)
    {
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw new SandboxValidationException("stdinBase64", "stdinBase64 is not valid base64.");
        }
    }
}

/// <summary>Body of POST /v1/sandboxes/{id}/files/mkdir.</summary>
public sealed record PathBody
{
    public string? Path { get; init; }
}

/// <summary>Body of POST /v1/sandboxes/{id}/processes: cmd (a shell line, run with bash -c) or argv.</summary>
public sealed record ProcessStartBody
{
    public string? Cmd { get; init; }
    public string[]? Argv { get; init; }
    public string? Cwd { get; init; }
    public Dictionary<string, string>? Env { get; init; }
    /// <summary>Keep stdin open for POST .../stdin; default false (the process reads end of file).</summary>
    public bool? KeepStdinOpen { get; init; }
    /// <summary>Wall-clock lifetime in milliseconds; default and maximum from SoulBox:Processes, never past the sandbox's end.</summary>
    public int? LifetimeMs { get; init; }
    /// <summary>A name of the caller's choosing, shown by the list.</summary>
    public string? Tag { get; init; }

    public ProcessStartRequest ToRequest() => new()
    {
        Cmd = Cmd,
        Argv = Argv,
        Cwd = Cwd,
        Env = Env,
        KeepStdinOpen = KeepStdinOpen ?? false,
        LifetimeMs = LifetimeMs,
        Tag = Tag,
    };
}

/// <summary>Answer of a start that does not attach.</summary>
public sealed record ProcessStartedView(int Pid);

/// <summary>Body of POST /v1/sandboxes/{id}/processes/{pid}/signal.</summary>
public sealed record SignalBody
{
    /// <summary>Signal number: 15 SIGTERM, 9 SIGKILL, 2 SIGINT, 1 SIGHUP, ...</summary>
    public int? Signal { get; init; }
}

/// <summary>Body of POST /v1/execute: a single run (<see cref="ExecuteRequest"/>'s fields), or with <see cref="Cases"/>
/// a batch (<see cref="ExecuteBatchRequest"/>'s fields; stdin and args then belong to each case).</summary>
public sealed record ExecuteBody
{
    public string? Language { get; init; }
    public string? Code { get; init; }
    public SourceFile[]? Files { get; init; }
    /// <summary>Single run only.</summary>
    public string? Stdin { get; init; }
    /// <summary>Single run only.</summary>
    public string[]? Args { get; init; }
    /// <summary>The run's limits; for a batch, the compile's and every case's defaults.</summary>
    public ExecutionLimits? Limits { get; init; }
    /// <summary>Test cases: makes the request a batch.</summary>
    public TestCase[]? Cases { get; init; }
    /// <summary>Batch only: exact, trailing_whitespace (default) or tokens, with an optional floatTolerance.</summary>
    public OutputComparison? Comparison { get; init; }
    /// <summary>Batch only: most cases at once.</summary>
    public int? MaxParallelism { get; init; }

    public ExecuteRequest ToRequest()
    {
        if (Comparison is not null || MaxParallelism is not null)
        {
            throw new SandboxValidationException(Comparison is not null ? "comparison" : "maxParallelism", "comparison and maxParallelism belong to a batch, which needs cases.");
        }

        return new() { Language = Language!, Code = Code, Files = Files, Stdin = Stdin, Args = Args, Limits = Limits };
    }

    public ExecuteBatchRequest ToBatch()
    {
        if (Stdin is not null || Args is not null)
        {
            throw new SandboxValidationException(Stdin is not null ? "stdin" : "args", "A batch takes stdin and args per case (cases[i].stdin, cases[i].args).");
        }

        return new() { Language = Language!, Code = Code, Files = Files, Cases = Cases!, Comparison = Comparison, Limits = Limits, MaxParallelism = MaxParallelism };
    }
}
