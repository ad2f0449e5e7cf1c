using SoulBox.Grains;

namespace SoulBox.Client;

/// <summary>A handle to one sandbox. Disposing a handle from CreateSandboxAsync kills the sandbox.</summary>
public sealed class Sandbox : IAsyncDisposable
{
    private readonly ISandboxGrain _grain;
    private readonly bool _ownsSandbox;
    private int _disposed;

    internal Sandbox(ISandboxGrain grain, SandboxInfo info, bool ownsSandbox)
    {
        _grain = grain;
        _ownsSandbox = ownsSandbox;
        Info = info;
        Commands = new SandboxCommands(grain);
        Files = new SandboxFiles(grain);
    }

    /// <summary>The sandbox's id.</summary>
    public string Id => Info.Id;

    /// <summary>What the sandbox was when last read (refresh with <see cref="RefreshAsync"/>).</summary>
    public SandboxInfo Info { get; private set; }

    /// <summary>Processes in the sandbox.</summary>
    public SandboxCommands Commands { get; }

    /// <summary>Files in the sandbox.</summary>
    public SandboxFiles Files { get; }

    /// <summary>Runs code in the sandbox's default context for the language (state is kept between runs).</summary>
    public Task<CodeRunResult> RunCodeAsync(string code, string? language = null, CancellationToken cancellationToken = default) =>
        _grain.RunCodeAsync(new CodeRunRequest { Code = code, Language = language }, cancellationToken);

    /// <summary>Runs code as <paramref name="request"/> says (language, context, environment, timeout).</summary>
    public Task<CodeRunResult> RunCodeAsync(CodeRunRequest request, CancellationToken cancellationToken = default) =>
        _grain.RunCodeAsync(request, cancellationToken);

    /// <summary>Streams stdout/stderr as the code produces them; the last item carries the result.</summary>
    public IAsyncEnumerable<RunEvent> RunCodeStreamAsync(string code, string? language = null, CancellationToken cancellationToken = default) =>
        _grain.RunCodeStreamAsync(new CodeRunRequest { Code = code, Language = language }, cancellationToken);

    /// <summary>Streams a run described by <paramref name="request"/>; the last item carries the result.</summary>
    public IAsyncEnumerable<RunEvent> RunCodeStreamAsync(CodeRunRequest request, CancellationToken cancellationToken = default) =>
        _grain.RunCodeStreamAsync(request, cancellationToken);

    /// <summary>Starts a separate stateful context (its own interpreter state); pass its id in CodeRunRequest.ContextId.</summary>
    public Task<string> CreateContextAsync(string language, CancellationToken cancellationToken = default) =>
        _grain.CreateContextAsync(language, cancellationToken);

    /// <summary>Starts a stateful context whose kernel runs in <paramref name="cwd"/> (absolute, or relative to the
    /// template's home; null: the home).</summary>
    public Task<CodeContextInfo> CreateContextAsync(string language, string? cwd, CancellationToken cancellationToken = default) =>
        _grain.CreateContextAsync(language, cwd, cancellationToken);

    /// <summary>The sandbox's contexts (a language's default context once it has run code).</summary>
    public Task<CodeContextInfo[]> ListContextsAsync(CancellationToken cancellationToken = default) =>
        _grain.ListContextsAsync(cancellationToken);

    /// <summary>Restarts a context's kernel under the same id: its variables and imports are gone.</summary>
    public Task RestartContextAsync(string contextId, CancellationToken cancellationToken = default) =>
        _grain.RestartContextAsync(contextId, cancellationToken);

    /// <summary>Stops a context from <see cref="CreateContextAsync(string, CancellationToken)"/> and drops its state.</summary>
    public Task DeleteContextAsync(string contextId, CancellationToken cancellationToken = default) =>
        _grain.DeleteContextAsync(contextId, cancellationToken);

    /// <summary>Sets the remaining lifetime to <paramref name="lifetime"/> from now.</summary>
    public async Task SetTimeoutAsync(TimeSpan lifetime, CancellationToken cancellationToken = default) =>
        Info = await _grain.SetTimeoutAsync((int)Math.Ceiling(lifetime.TotalSeconds)).WaitAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Reads the sandbox's description again (expiry, metadata) into <see cref="Info"/>.</summary>
    public async Task<SandboxInfo> RefreshAsync(CancellationToken cancellationToken = default) =>
        Info = await _grain.GetInfoAsync().WaitAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Removes the sandbox and its container now.</summary>
    public Task KillAsync(CancellationToken cancellationToken = default) => _grain.KillAsync().WaitAsync(cancellationToken);

    /// <summary>Kills the sandbox when this handle created it; a handle from ConnectAsync leaves it running.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_ownsSandbox || Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        try
        {
            await _grain.KillAsync().ConfigureAwait(false);
        }
        catch (SoulBoxException)
        {
            // Already expired, lost or killed: nothing left to release.
        }
    }
}
