using System.Text.Json;
using System.Text.Json.Serialization;

namespace SoulBox.Agent.Protocol;

// The wire contract between a silo and the agent inside a container.
// This folder is compiled into both the NativeAOT agent and SoulBox.Grains, so it
// uses only System.Text.Json source generation (no reflection) and no Orleans types.
//
// A frame is: [u32 big-endian frame length N][u32 big-endian header length H]
//             [H bytes UTF-8 JSON header][N - 4 - H bytes raw payload].
// The header is an AgentRequest (silo → agent) or an AgentEvent (agent → silo);
// the payload carries raw bytes (stdin, output chunks, file content) so they are
// never base64-encoded. Requests and events are matched by Id: one request yields
// zero or more streaming events and exactly one terminal event (see IsTerminal).
//
// Flow control: every streaming (non-terminal) event costs credit (AgentProtocol.CreditCost: its payload
// plus a fixed overhead). The agent has AgentProtocol.CreditWindowBytes of credit per request and waits
// when it is spent; the silo hands credit back with CreditRequests as its consumer takes events (see
// CreditLedger). So a slow reader slows the agent (and the user's process, blocked on a full pipe), never
// the silo's heap; and an agent that sends past its window has broken the protocol.

public static class AgentProtocol
{
    /// <summary>2: credit-based flow control (<see cref="CreditRequest"/>). 3: background processes, file.move,
    /// context list/restart and rich results (code.display); a silo and an agent of different versions refuse each
    /// other at hello instead of failing on the first request one of them does not know.</summary>
    public const int Version = 3;
    public const int MaxFrameBytes = 8 * 1024 * 1024;
    public const int MaxPayloadChunkBytes = 1024 * 1024;

    /// <summary>Credit the agent starts each request with: the most streaming-event bytes (see
    /// <see cref="CreditCost"/>) it may have sent that the silo has not handed back. Two file chunks: a download
    /// keeps one chunk in flight while the caller takes the other, and a silo holds at most this much per request.</summary>
    public const int CreditWindowBytes = 2 * (MaxPayloadChunkBytes + CreditFrameOverheadBytes);

    /// <summary>What every streaming event costs on top of its payload, so that empty or tiny events cannot
    /// pile up without bound either (a window holds at most CreditWindowBytes / this many events).</summary>
    public const int CreditFrameOverheadBytes = 256;

    /// <summary>Credit a streaming event with <paramref name="payloadBytes"/> of payload costs; terminal events are free.</summary>
    public static int CreditCost(int payloadBytes) => payloadBytes + CreditFrameOverheadBytes;

    /// <summary>Socket file name inside the per-sandbox directory (mounted at <see cref="ContainerRunDirectory"/>).</summary>
    public const string SocketFileName = "agent.sock";
    public const string ContainerRunDirectory = "/run/soulbox";
    public const string ContainerAgentDirectory = "/opt/soulbox";
    /// <summary>The agent's default work directory (--work-dir): SoulBox's own templates' home. A template may have
    /// another (Templates.Home); the silo passes it.</summary>
    public const string WorkDirectory = "/home/sandbox";
    /// <summary>The agent's default name of the sandbox user (--user): SoulBox's own templates'.</summary>
    public const string UserName = "sandbox";

    /// <summary>Largest rich result (<see cref="ResultEvent"/>: its JSON {mime: content}, images base64). A result
    /// is one streaming event, so it must fit the credit window with room for the frame overhead.</summary>
    public const int MaxResultBytes = 2 * MaxPayloadChunkBytes;

    /// <summary>Most bytes of rich results one code run may stream (the silo keeps them for the run's final result).</summary>
    public const int MaxRunResultBytes = 8 * MaxPayloadChunkBytes;
    public const int SandboxUserId = 1000;
    public const int SandboxGroupId = 1000;
}

[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(HelloRequest), "hello")]
[JsonDerivedType(typeof(ExecRequest), "exec")]
[JsonDerivedType(typeof(StdinRequest), "stdin")]
[JsonDerivedType(typeof(CancelRequest), "cancel")]
[JsonDerivedType(typeof(SignalRequest), "signal")]
[JsonDerivedType(typeof(CreditRequest), "credit")]
[JsonDerivedType(typeof(CreateContextRequest), "context.create")]
[JsonDerivedType(typeof(DeleteContextRequest), "context.delete")]
[JsonDerivedType(typeof(ListContextsRequest), "context.list")]
[JsonDerivedType(typeof(RestartContextRequest), "context.restart")]
[JsonDerivedType(typeof(RunCodeRequest), "code.run")]
[JsonDerivedType(typeof(ReadFileRequest), "file.read")]
[JsonDerivedType(typeof(WriteFileRequest), "file.write")]
[JsonDerivedType(typeof(ListFilesRequest), "file.list")]
[JsonDerivedType(typeof(StatFileRequest), "file.stat")]
[JsonDerivedType(typeof(MakeDirectoryRequest), "file.mkdir")]
[JsonDerivedType(typeof(RemoveFileRequest), "file.remove")]
[JsonDerivedType(typeof(MoveFileRequest), "file.move")]
[JsonDerivedType(typeof(ResetRequest), "reset")]
[JsonDerivedType(typeof(StatsRequest), "stats")]
public abstract record AgentRequest
{
    public long Id { get; init; }
}

/// <summary>First request on a connection. Answered by <see cref="HelloEvent"/>, or by an
/// <see cref="ErrorEvent"/> with code <c>version_mismatch</c>.</summary>
public sealed record HelloRequest(int ProtocolVersion) : AgentRequest;

/// <summary>Spawns a process as the sandbox user. Exactly one of Argv or Shell is set
/// (Shell runs under <c>/bin/sh -c</c>). The frame payload, if any, is written to stdin
/// and stdin is then closed unless KeepStdinOpen (then further <see cref="StdinRequest"/>s follow).
/// Streams <see cref="OutputEvent"/>s, then one <see cref="ExitEvent"/>.</summary>
public sealed record ExecRequest : AgentRequest
{
    public string[]? Argv { get; init; }
    public string? Shell { get; init; }
    public Dictionary<string, string>? Env { get; init; }
    /// <summary>Working directory; relative paths are under the work directory (--work-dir), also the default.</summary>
    public string? Cwd { get; init; }
    public bool KeepStdinOpen { get; init; }
    /// <summary>Send an <see cref="ExecStartedEvent"/> with the program's pid right after the spawn, before any
    /// output (a background process's caller needs its pid at once). Default false: one-shot runs skip it.</summary>
    public bool ReportPid { get; init; }
    public required ExecLimits Limits { get; init; }
}

/// <summary>Limits of one process run; units are in the names.</summary>
public sealed record ExecLimits
{
    /// <summary>Wall-clock limit; the whole process tree is killed when it passes.</summary>
    public int TimeoutMs { get; init; } = 30_000;
    /// <summary>Per-stream cap; output past it is dropped and the stream is flagged truncated.</summary>
    public long MaxOutputBytesPerStream { get; init; } = 1024 * 1024;
    /// <summary>RLIMIT_FSIZE for the process: largest file it may write.</summary>
    public long MaxFileBytes { get; init; } = 64L * 1024 * 1024;
    /// <summary>RLIMIT_NOFILE.</summary>
    public int MaxOpenFiles { get; init; } = 256;
    /// <summary>RLIMIT_NPROC for the sandbox user (0 = leave to the container's pids limit).</summary>
    public int MaxProcesses { get; init; }
}

/// <summary>More stdin for a running exec (TargetId); payload is the data; Close ends stdin. With WaitWritten the
/// <see cref="OkEvent"/> comes once the data is in the process's stdin pipe (or the process is gone), not when it is
/// queued: a sender that waits for it keeps at most one chunk in the agent, so a large input streams through the
/// sandbox's memory instead of piling up in it.</summary>
public sealed record StdinRequest(long TargetId, bool Close) : AgentRequest
{
    public bool WaitWritten { get; init; }
}

/// <summary>Sends <paramref name="Signal"/> (1-64: SIGHUP 1, SIGINT 2, SIGKILL 9, SIGTERM 15, ...) to the process group of a
/// running exec (TargetId): the program and what it started in its group. Answered by <see cref="OkEvent"/>, or
/// <c>not_found</c> when no exec with that id is running (it may have just ended). The exec then ends with its normal
/// <see cref="ExitEvent"/> (Signal set when the signal ended the program).</summary>
public sealed record SignalRequest(long TargetId, int Signal) : AgentRequest;

/// <summary>Cancels a running exec or code run; it ends with its normal terminal event (Cancelled = true).</summary>
public sealed record CancelRequest(long TargetId) : AgentRequest;

/// <summary>Hands <paramref name="Bytes"/> of credit back to a running request (TargetId): the silo's consumer has
/// taken that much of its streamed events. Not answered (it would double the frames of a download); credit for a
/// finished or unknown request is ignored.</summary>
public sealed record CreditRequest(long TargetId, int Bytes) : AgentRequest;

/// <summary>Starts a persistent kernel ("python" or "javascript"). Answered by <see cref="ContextCreatedEvent"/>.</summary>
public sealed record CreateContextRequest(string Language, string? Cwd) : AgentRequest;

public sealed record DeleteContextRequest(string ContextId) : AgentRequest;

/// <summary>The agent's contexts (default contexts once they were used). Answered by <see cref="ContextListEvent"/>.</summary>
public sealed record ListContextsRequest : AgentRequest;

/// <summary>Stops a context's kernel and starts a new one under the same id, language and working directory: its
/// state is gone. Answered by <see cref="ContextCreatedEvent"/>.</summary>
public sealed record RestartContextRequest(string ContextId) : AgentRequest;

/// <summary>Runs code in a context. ContextId null means the default context of that language
/// (created on first use). Streams <see cref="OutputEvent"/>s and <see cref="ResultEvent"/>s, then one <see cref="CodeResultEvent"/>.
/// On timeout the kernel is restarted (its state is lost) and the result says TimedOut.</summary>
public sealed record RunCodeRequest(string Code, string Language, string? ContextId, Dictionary<string, string>? Env, int TimeoutMs) : AgentRequest;

/// <summary>Streams the file as <see cref="FileDataEvent"/>s (payload chunks ≤ MaxPayloadChunkBytes), then <see cref="OkEvent"/>.</summary>
public sealed record ReadFileRequest(string Path) : AgentRequest;

/// <summary>Writes the payload to Path (creating parent directories); Append adds to what the
/// previous chunk wrote, so large files arrive as several requests. Answered by <see cref="FileStatEvent"/>.</summary>
public sealed record WriteFileRequest(string Path, bool Append) : AgentRequest
{
    /// <summary>Gives the file mode 0755 (else a new file gets 0666 less the agent's umask, an existing one keeps
    /// its mode): a program put back from the node's compile cache must be executable. Default false.</summary>
    public bool Executable { get; init; }
}

public sealed record ListFilesRequest(string Path) : AgentRequest;

public sealed record StatFileRequest(string Path) : AgentRequest;

public sealed record MakeDirectoryRequest(string Path) : AgentRequest;

public sealed record RemoveFileRequest(string Path, bool Recursive) : AgentRequest;

/// <summary>Renames Source to Destination (creating the destination's missing parents), replacing a file there;
/// the last name of either is never followed (a symlink is moved as the link). Answered by <see cref="FileStatEvent"/>
/// describing the entry at its new path.</summary>
public sealed record MoveFileRequest(string Source, string Destination) : AgentRequest;

/// <summary>Kills every process of the sandbox user, stops all kernels, and empties the work directory and /tmp:
/// what a one-shot run leaves is gone before the next. Answered by <see cref="OkEvent"/>.</summary>
public sealed record ResetRequest : AgentRequest;

/// <summary>Resource usage of the container (from its cgroup). Answered by <see cref="StatsEvent"/>.</summary>
public sealed record StatsRequest : AgentRequest;

[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(HelloEvent), "hello")]
[JsonDerivedType(typeof(OutputEvent), "output")]
[JsonDerivedType(typeof(ExecStartedEvent), "exec.started")]
[JsonDerivedType(typeof(ExitEvent), "exit")]
[JsonDerivedType(typeof(ContextCreatedEvent), "context.created")]
[JsonDerivedType(typeof(CodeResultEvent), "code.result")]
[JsonDerivedType(typeof(ResultEvent), "code.display")]
[JsonDerivedType(typeof(ContextListEvent), "context.list")]
[JsonDerivedType(typeof(FileDataEvent), "file.data")]
[JsonDerivedType(typeof(FileStatEvent), "file.stat")]
[JsonDerivedType(typeof(FileListEvent), "file.list")]
[JsonDerivedType(typeof(StatsEvent), "stats")]
[JsonDerivedType(typeof(OkEvent), "ok")]
[JsonDerivedType(typeof(ErrorEvent), "error")]
public abstract record AgentEvent
{
    public long Id { get; init; }

    /// <summary>True for the one event that ends a request.</summary>
    [JsonIgnore]
    public virtual bool IsTerminal => true;
}

public sealed record HelloEvent(int ProtocolVersion, string AgentVersion, int Pid) : AgentEvent;

/// <summary>A chunk of output; the frame payload holds the bytes.</summary>
public sealed record OutputEvent(OutputStream Stream) : AgentEvent
{
    public override bool IsTerminal => false;
}

/// <summary>The exec's program was spawned (ExecRequest.ReportPid); Pid is its process id in the container, which is
/// also its process group and session id. A streaming event: it costs credit like an empty output chunk.</summary>
public sealed record ExecStartedEvent(int Pid) : AgentEvent
{
    public override bool IsTerminal => false;
}

[JsonConverter(typeof(JsonStringEnumConverter<OutputStream>))]
public enum OutputStream
{
    Stdout,
    Stderr,
}

public sealed record ExitEvent : AgentEvent
{
    /// <summary>Exit code, or null when the process was killed by a signal.</summary>
    public int? ExitCode { get; init; }
    public int? Signal { get; init; }
    public bool TimedOut { get; init; }
    public bool Cancelled { get; init; }
    public bool StdoutTruncated { get; init; }
    public bool StderrTruncated { get; init; }
    public double WallTimeMs { get; init; }
    /// <summary>User + system CPU time of the process and every descendant it waited for.</summary>
    public double CpuTimeMs { get; init; }
    /// <summary>Largest resident set of the process or any waited-for descendant.</summary>
    public long PeakMemoryBytes { get; init; }
}

public sealed record ContextCreatedEvent(string ContextId, string Language) : AgentEvent
{
    /// <summary>The context's working directory.</summary>
    public string? Cwd { get; init; }
}

public sealed record ContextListEvent(AgentContextInfo[] Contexts) : AgentEvent;

public sealed record AgentContextInfo(string ContextId, string Language, string Cwd);

/// <summary>A rich output of a code run as it appears (display(), a figure): the frame payload is its JSON
/// {mime: content} (images base64), at most <see cref="AgentProtocol.MaxResultBytes"/>.</summary>
public sealed record ResultEvent : AgentEvent
{
    public override bool IsTerminal => false;
}

public sealed record CodeResultEvent : AgentEvent
{
    /// <summary>repr/inspect of the last expression, or null when the code ended in a statement.</summary>
    public string? Value { get; init; }
    /// <summary>The last expression's representations besides text/plain (which is <see cref="Value"/>): text/html,
    /// image/png (base64), ...; null when it has none.</summary>
    public Dictionary<string, string>? Data { get; init; }
    public CodeError? Error { get; init; }
    public bool TimedOut { get; init; }
    public bool Cancelled { get; init; }
    public bool StdoutTruncated { get; init; }
    public bool StderrTruncated { get; init; }
    public double WallTimeMs { get; init; }
}

public sealed record CodeError(string Name, string Value, string Traceback);

/// <summary>A chunk of file content; the frame payload holds the bytes.</summary>
public sealed record FileDataEvent : AgentEvent
{
    public override bool IsTerminal => false;
}

public sealed record FileStatEvent(AgentFileEntry Entry) : AgentEvent;

public sealed record FileListEvent(AgentFileEntry[] Entries) : AgentEvent;

public sealed record AgentFileEntry(string Name, string Path, bool IsDirectory, long Size, long ModifiedUnixMs, int Mode, bool IsSymlink);

public sealed record StatsEvent(long MemoryBytes, long MemoryPeakBytes, double CpuTimeMs, int Processes) : AgentEvent;

public sealed record OkEvent : AgentEvent;

/// <summary>A request failed. Code is one of <see cref="AgentErrorCodes"/>.</summary>
public sealed record ErrorEvent(string Code, string Message) : AgentEvent;

public static class AgentErrorCodes
{
    public const string BadRequest = "bad_request";
    public const string VersionMismatch = "version_mismatch";
    public const string NotFound = "not_found";
    public const string PathEscape = "path_escape";
    public const string IsDirectory = "is_directory";
    public const string NotDirectory = "not_directory";
    public const string AlreadyExists = "already_exists";
    public const string DirectoryNotEmpty = "directory_not_empty";
    /// <summary>The sandbox user may not do that (file operations run with the sandbox user's identity).</summary>
    public const string PermissionDenied = "permission_denied";
    public const string ContextNotFound = "context_not_found";
    public const string UnsupportedLanguage = "unsupported_language";
    public const string TooLarge = "too_large";
    /// <summary>The sandbox's file system is full (ENOSPC) or the user's quota is used up (EDQUOT).</summary>
    public const string NoSpace = "no_space";
    /// <summary>A run (exec or kernel) could not be killed within the agent's grace: its processes may
    /// still run. The sandbox can no longer be trusted to be idle; the silo gives it up as lost.</summary>
    public const string KillFailed = "kill_failed";
    /// <summary>The request was cancelled (by a CancelRequest or its connection closing) before it could finish.</summary>
    public const string Cancelled = "cancelled";
    public const string Internal = "internal";
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AgentRequest))]
[JsonSerializable(typeof(AgentEvent))]
[JsonSerializable(typeof(Dictionary<string, string>))]
public sealed partial class AgentJsonContext : JsonSerializerContext;
