namespace SoulBox.Grains;

/// <summary>One sandbox, keyed by sandbox id ("&lt;node&gt;.&lt;random&gt;"). Owns exactly one container and is
/// only ever active on the node that holds it. Calls on a sandbox whose node or container is gone throw
/// <see cref="SandboxLostException"/>; after kill or expiry, <see cref="SandboxKilledException"/> /
/// <see cref="SandboxExpiredException"/>; an unknown id, <see cref="SandboxNotFoundException"/>.</summary>
[Alias("soulbox.ISandboxGrain")]
public interface ISandboxGrain : IGrainWithStringKey
{
    /// <summary>Claims or starts the container. Called once, by the sandbox factory, on the owning node.</summary>
    [Alias("Create")]
    Task<SandboxInfo> CreateAsync(SandboxCreateOptions options, CancellationToken cancellationToken = default);

    /// <summary>The sandbox's current description.</summary>
    [Alias("GetInfo")]
    Task<SandboxInfo> GetInfoAsync();

    /// <summary>Runs code in the sandbox's kernel (or as a program) and returns when it ends.</summary>
    [Alias("RunCode")]
    Task<CodeRunResult> RunCodeAsync(CodeRunRequest request, CancellationToken cancellationToken = default);

    /// <summary>Runs code and streams its output as produced, then its result.</summary>
    [Alias("RunCodeStream")]
    IAsyncEnumerable<RunEvent> RunCodeStreamAsync(CodeRunRequest request, CancellationToken cancellationToken = default);

    /// <summary>Starts a new stateful context (Python or JavaScript kernel); returns its id.</summary>
    [Alias("CreateContext")]
    Task<string> CreateContextAsync(string language, CancellationToken cancellationToken = default);

    /// <summary>Stops a context made by CreateContextAsync and drops its state.</summary>
    [Alias("DeleteContext")]
    Task DeleteContextAsync(string contextId, CancellationToken cancellationToken = default);

    /// <summary>Starts a context with a working directory (default the template's home); returns its description.</summary>
    [Alias("CreateContextIn")]
    Task<CodeContextInfo> CreateContextAsync(string language, string? cwd, CancellationToken cancellationToken = default);

    /// <summary>The sandbox's contexts (default contexts included once they have run code).</summary>
    [Alias("ListContexts")]
    Task<CodeContextInfo[]> ListContextsAsync(CancellationToken cancellationToken = default);

    /// <summary>Restarts a context's kernel under the same id: its state is dropped.</summary>
    [Alias("RestartContext")]
    Task RestartContextAsync(string contextId, CancellationToken cancellationToken = default);

    /// <summary>Runs a process as the sandbox user and returns when it ends.</summary>
    [Alias("RunCommand")]
    Task<CommandResult> RunCommandAsync(CommandRequest request, CancellationToken cancellationToken = default);

    /// <summary>Runs a process and streams its output as produced, then its result.</summary>
    [Alias("RunCommandStream")]
    IAsyncEnumerable<RunEvent> RunCommandStreamAsync(CommandRequest request, CancellationToken cancellationToken = default);

    /// <summary>Starts a background process and attaches to it: the first event is Started (its pid), then its
    /// output, then Exited. Ending the enumeration early detaches; the process keeps running (see
    /// <see cref="ProcessStartRequest"/>). Too many processes in the sandbox → <see cref="SoulBoxException"/>
    /// with code too_many_processes.</summary>
    [Alias("StartProcess")]
    IAsyncEnumerable<ProcessEvent> StartProcessAsync(ProcessStartRequest request, CancellationToken cancellationToken = default);

    /// <summary>Attaches to a running background process: Started, then output from now on, then Exited.
    /// Several callers may be attached at once. Unknown pid → <see cref="ProcessNotFoundException"/>.</summary>
    [Alias("AttachProcess")]
    IAsyncEnumerable<ProcessEvent> AttachProcessAsync(int pid, CancellationToken cancellationToken = default);

    /// <summary>Writes to a background process's stdin (started with KeepStdinOpen).</summary>
    [Alias("SendProcessInput")]
    Task SendProcessInputAsync(int pid, byte[] data, CancellationToken cancellationToken = default);

    /// <summary>Closes a background process's stdin (it reads EOF).</summary>
    [Alias("CloseProcessInput")]
    Task CloseProcessInputAsync(int pid, CancellationToken cancellationToken = default);

    /// <summary>Sends a signal (15 SIGTERM, 9 SIGKILL, 2 SIGINT, 1 SIGHUP) to a background process's group.</summary>
    [Alias("SignalProcess")]
    Task SignalProcessAsync(int pid, int signal, CancellationToken cancellationToken = default);

    /// <summary>The sandbox's running background processes.</summary>
    [Alias("ListProcesses")]
    Task<ProcessInfo[]> ListProcessesAsync(CancellationToken cancellationToken = default);

    /// <summary>Reads a file as chunks (each at most 1 MiB), so large files never sit whole in one message.</summary>
    [Alias("ReadFile")]
    IAsyncEnumerable<byte[]> ReadFileAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Writes one chunk; append=false truncates first. Large uploads are several calls.</summary>
    [Alias("WriteFile")]
    Task<SandboxFileInfo> WriteFileAsync(string path, byte[] content, bool append, CancellationToken cancellationToken = default);

    /// <summary>The entries of a directory.</summary>
    [Alias("ListFiles")]
    Task<SandboxFileInfo[]> ListFilesAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>One file's or directory's description.</summary>
    [Alias("StatFile")]
    Task<SandboxFileInfo> StatFileAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Creates a directory and its missing parents.</summary>
    [Alias("MakeDirectory")]
    Task MakeDirectoryAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Removes a file, or a directory (with its content when <paramref name="recursive"/>).</summary>
    [Alias("RemoveFile")]
    Task RemoveFileAsync(string path, bool recursive, CancellationToken cancellationToken = default);

    /// <summary>Renames a file or directory (replacing an existing file at the destination); returns the moved entry.</summary>
    [Alias("MoveFile")]
    Task<SandboxFileInfo> MoveFileAsync(string source, string destination, CancellationToken cancellationToken = default);

    /// <summary>Sets the remaining lifetime to <paramref name="seconds"/> from now (bounded by the node's maximum).</summary>
    [Alias("SetTimeout")]
    Task<SandboxInfo> SetTimeoutAsync(int seconds);

    /// <summary>Removes the container now. Idempotent.</summary>
    [Alias("Kill")]
    Task KillAsync();
}
