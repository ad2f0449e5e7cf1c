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
}
