using Microsoft.Extensions.Logging;

namespace SoulBox.Grains.Containers;

/// <summary>Which OCI runtime sandbox containers run under. A configured <see cref="ContainerRuntimeOptions.OciRuntime"/>
/// is used as given. Otherwise crun when the engine has it registered (<c>docker info</c> runtimes; scripts/setup.sh
/// registers it): it starts a container in about two thirds of runc's time, with the same OCI spec from the engine and
/// so the same isolation (README, "Container runtime"). Without it, the engine's default (runc), with a warning.
/// <para>An automatic crun that the engine cannot run (a hybrid cgroup host whose v2 hierarchy still holds a controller,
/// a daemon.json that lists crun after a reboot undid setup's preparation) is dropped for the engine's default once a
/// start under the default has succeeded where crun's failed: a broken crun must not fail every start. A configured
/// runtime is never replaced.</para></summary>
internal sealed partial class OciRuntimeSelector(string? configured, Func<CancellationToken, Task<IReadOnlyCollection<string>>> registeredRuntimes, ILogger logger)
{
    public const string Preferred = "crun";

    private readonly string? _configured = string.IsNullOrWhiteSpace(configured) ? null : configured.Trim();
    private readonly Lock _lock = new();
    // Null until the engine has been asked; then the automatic choice (its Runtime null = the engine's default).
    private Choice? _automatic;

    /// <summary>Whether the runtime is chosen here rather than configured.</summary>
    public bool IsAutomatic => _configured is null;

    /// <summary>The runtime to name in a container's HostConfig; null for the engine's default. Asks the engine once
    /// (again after a failed attempt: an engine that was not up yet is asked at the next start).</summary>
    public async Task<string?> ResolveAsync(CancellationToken cancellationToken)
    {
        if (_configured is not null)
        {
            return _configured;
        }

        if (_automatic is { } known)
        {
            return known.Runtime;
        }

        var registered = await registeredRuntimes(cancellationToken).ConfigureAwait(false);
        var choice = new Choice(registered.Contains(Preferred, StringComparer.Ordinal) ? Preferred : null);
        lock (_lock)
        {
            if (_automatic is { } raced)
            {
                return raced.Runtime;
            }

            _automatic = choice;
        }

        if (choice.Runtime is null)
        {
            LogPreferredNotRegistered(Preferred, string.Join(", ", registered.Order(StringComparer.Ordinal)));
        }
        else
        {
            LogChosen(choice.Runtime);
        }

        return choice.Runtime;
    }

    /// <summary>Logs at start-up what a configured runtime is, and warns when the engine does not list it (every
    /// container start will then fail with the engine's "unknown or invalid runtime name").</summary>
    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        if (_configured is null)
        {
            await ResolveAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        var registered = await registeredRuntimes(cancellationToken).ConfigureAwait(false);
        if (registered.Contains(_configured, StringComparer.Ordinal))
        {
            LogConfigured(_configured);
        }
        else
        {
            LogConfiguredNotRegistered(_configured, string.Join(", ", registered.Order(StringComparer.Ordinal)));
        }
    }

    /// <summary>Whether a failed create or start under <paramref name="runtime"/> may be retried under the engine's
    /// default: only an automatic choice, and only for the engine's errors that name the runtime itself.</summary>
    public bool MayFallBack(string? runtime, string engineError) =>
        _configured is null && runtime is not null && IsRuntimeError(engineError);

    /// <summary>Future starts use the engine's default: a start under it succeeded where <paramref name="runtime"/> failed.</summary>
    public void FallBack(string runtime, string engineError)
    {
        lock (_lock)
        {
            if (_automatic is { Runtime: null })
            {
                return;
            }

            _automatic = new Choice(null);
        }

        LogFellBack(runtime, engineError);
    }

    /// <summary>The engine's errors for a runtime that cannot run a container here ("OCI runtime create failed: ...",
    /// "... start failed ...") or that it no longer knows ("unknown or invalid runtime name", after a reload).</summary>
    internal static bool IsRuntimeError(string engineError) =>
        engineError.Contains("OCI runtime", StringComparison.Ordinal)
        || engineError.Contains("invalid runtime name", StringComparison.Ordinal);

    private sealed record Choice(string? Runtime);

    [LoggerMessage(20, LogLevel.Information, "Sandbox containers run under the OCI runtime {Runtime} (registered with the Docker engine; SoulBox:Docker:OciRuntime overrides it)")]
    private partial void LogChosen(string runtime);

    [LoggerMessage(21, LogLevel.Warning, "The Docker engine has no OCI runtime {Preferred} registered (it has: {Registered}); sandbox containers run under the engine's default, which starts them more slowly. scripts/setup.sh installs and registers {Preferred}")]
    private partial void LogPreferredNotRegistered(string preferred, string registered);

    [LoggerMessage(22, LogLevel.Information, "Sandbox containers run under the configured OCI runtime {Runtime}")]
    private partial void LogConfigured(string runtime);

    [LoggerMessage(23, LogLevel.Warning, "SoulBox:Docker:OciRuntime is {Runtime}, which the Docker engine does not list (it has: {Registered}); container starts will fail until it is registered")]
    private partial void LogConfiguredNotRegistered(string runtime, string registered);

    [LoggerMessage(24, LogLevel.Warning, "The OCI runtime {Runtime} could not start a container that the engine's default then started; sandbox containers run under the engine's default from now on. The engine said: {EngineError}")]
    private partial void LogFellBack(string runtime, string engineError);
}
