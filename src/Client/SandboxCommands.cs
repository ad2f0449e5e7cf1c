using System.Text;
using SoulBox.Grains;

namespace SoulBox.Client;

/// <summary>Processes in a sandbox (as the unprivileged sandbox user).</summary>
public sealed class SandboxCommands
{
    private readonly ISandboxGrain _grain;

    internal SandboxCommands(ISandboxGrain grain) => _grain = grain;

    /// <summary>Runs a shell command line (/bin/sh -c) and waits for it.</summary>
    public Task<CommandResult> RunAsync(string cmd, string? stdin = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        _grain.RunCommandAsync(new CommandRequest
        {
            Cmd = cmd,
            Stdin = stdin is null ? null : Encoding.UTF8.GetBytes(stdin),
            TimeoutMs = timeout is null ? null : (int)timeout.Value.TotalMilliseconds,
        }, cancellationToken);

    /// <summary>Runs a process as <paramref name="request"/> says (shell line or argv, cwd, environment, stdin, limits).</summary>
    public Task<CommandResult> RunAsync(CommandRequest request, CancellationToken cancellationToken = default) =>
        _grain.RunCommandAsync(request, cancellationToken);

    /// <summary>Streams stdout/stderr as produced; the last item carries the result.</summary>
    public IAsyncEnumerable<RunEvent> RunStreamAsync(CommandRequest request, CancellationToken cancellationToken = default) =>
        _grain.RunCommandStreamAsync(request, cancellationToken);

    /// <summary>Starts a shell command line (bash -c) in the background and attaches to it: the handle has its pid
    /// at once. Its stdin is closed unless <paramref name="keepStdinOpen"/>.</summary>
    public Task<ProcessHandle> StartAsync(string cmd, bool keepStdinOpen = false, TimeSpan? lifetime = null, CancellationToken cancellationToken = default) =>
        StartAsync(new ProcessStartRequest
        {
            Cmd = cmd,
            KeepStdinOpen = keepStdinOpen,
            LifetimeMs = lifetime is null ? null : (int)Math.Ceiling(lifetime.Value.TotalMilliseconds),
        }, cancellationToken);

    /// <summary>Starts a background process as <paramref name="request"/> says (shell line or argv, cwd, environment,
    /// stdin kept open, lifetime, tag) and attaches to it. More than the node allows per sandbox → SoulBoxException
    /// with code too_many_processes.</summary>
    public Task<ProcessHandle> StartAsync(ProcessStartRequest request, CancellationToken cancellationToken = default) =>
        ProcessHandle.OpenAsync(_grain, _grain.StartProcessAsync(request, cancellationToken), cancellationToken);

    /// <summary>Attaches to a running background process (or one that ended a moment ago: its stream is just its
    /// exit): output from now on, then its exit. Unknown pid → <see cref="ProcessNotFoundException"/>.</summary>
    public Task<ProcessHandle> AttachAsync(int pid, CancellationToken cancellationToken = default) =>
        ProcessHandle.OpenAsync(_grain, _grain.AttachProcessAsync(pid, cancellationToken), cancellationToken);

    /// <summary>The sandbox's running background processes.</summary>
    public Task<ProcessInfo[]> ListAsync(CancellationToken cancellationToken = default) => _grain.ListProcessesAsync(cancellationToken);

    /// <summary>Sends a signal to a background process by pid (no need to be attached).</summary>
    public Task SignalAsync(int pid, int signal, CancellationToken cancellationToken = default) =>
        _grain.SignalProcessAsync(pid, signal, cancellationToken);

    /// <summary>Kills a background process by pid (SIGKILL to its group).</summary>
    public Task KillAsync(int pid, CancellationToken cancellationToken = default) => SignalAsync(pid, 9, cancellationToken);
}
