using System.Collections.Concurrent;
using SoulBox.Agent.Protocol;

namespace SoulBox.Agent.Worker;

/// <summary>All code contexts of the sandbox. Agent-wide, so contexts survive a reconnect of the silo.</summary>
internal sealed class KernelRegistry(WorkerServices services, string kernelsDirectory)
{
    public const string Python = "python";
    public const string JavaScript = "javascript";

    private readonly ConcurrentDictionary<string, CodeContext> _contexts = new(StringComparer.Ordinal);

    public async Task<CodeContext> CreateAsync(string language, string? cwd)
    {
        var context = new CodeContext($"ctx-{Guid.NewGuid():N}"[..16], CheckLanguage(language), services.ResolveWorkingDirectory(cwd));
        // Start now, so a missing interpreter is reported by create rather than by the first run.
        context.Kernel = await StartKernelAsync(context).ConfigureAwait(false);
        _contexts[context.Id] = context;
        AgentLog.Info($"context {context.Id} ({language}) created");
        return context;
    }

    /// <summary>The context a RunCodeRequest names, or the language's default context (made on first use).</summary>
    public CodeContext Find(string? contextId, string language)
    {
        if (contextId is null)
        {
            var checkedLanguage = CheckLanguage(language);
            return _contexts.GetOrAdd($"default-{checkedLanguage}", id => new CodeContext(id, checkedLanguage, services.Paths.WorkDirectory));
        }

        return _contexts.TryGetValue(contextId, out var context)
            ? context
            : throw new AgentException(AgentErrorCodes.ContextNotFound, $"Code context '{contextId}' does not exist.");
    }

    /// <summary>Every context, default ones included once they were used, oldest first.</summary>
    public IReadOnlyList<CodeContext> List() => [.. _contexts.Values.OrderBy(c => c.Created)];

    /// <summary>Stops the context's kernel and starts a new one in its place: same id, language and working
    /// directory, no state. The kill is not behind the context's gate (a run stuck in a loop must not delay it; that
    /// run ends as a dead kernel, as with delete); the new kernel starts behind it, once that run has cleaned up.</summary>
    public async Task<CodeContext> RestartAsync(string contextId)
    {
        if (!_contexts.TryGetValue(contextId, out var context))
        {
            throw new AgentException(AgentErrorCodes.ContextNotFound, $"Code context '{contextId}' does not exist.");
        }

        if (!await StopAsync(context).ConfigureAwait(false))
        {
            throw new AgentException(AgentErrorCodes.KillFailed, $"The kernel of context '{contextId}' could not be killed.");
        }

        await context.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (context.Kernel is not null)
            {
                // A run that came in between the kill and the gate started a fresh kernel already: that is the restart.
                return context;
            }

            context.Kernel = await StartKernelAsync(context).ConfigureAwait(false);
        }
        finally
        {
            context.Gate.Release();
        }

        AgentLog.Info($"context {contextId} restarted");
        return context;
    }

    public async Task DeleteAsync(string contextId)
    {
        if (!_contexts.TryRemove(contextId, out var context))
        {
            throw new AgentException(AgentErrorCodes.ContextNotFound, $"Code context '{contextId}' does not exist.");
        }

        if (!await StopAsync(context).ConfigureAwait(false))
        {
            throw new AgentException(AgentErrorCodes.KillFailed, $"The kernel of context '{contextId}' could not be killed.");
        }

        AgentLog.Info($"context {contextId} deleted");
    }

    /// <summary>Stops every kernel and forgets every context (reset).</summary>
    public async Task StopAllAsync()
    {
        foreach (var id in _contexts.Keys)
        {
            if (_contexts.TryRemove(id, out var context))
            {
                await StopAsync(context).ConfigureAwait(false);
            }
        }
    }

    public Task<Kernel> StartKernelAsync(CodeContext context)
    {
        string[] argv = context.Language == Python
            ? ["python3", "-u", Path.Combine(kernelsDirectory, "python_kernel.py")]
            : ["node", Path.Combine(kernelsDirectory, "node_kernel.js")];
        return Kernel.StartAsync(services, context.Language, argv, context.Cwd);
    }

    private static async Task<bool> StopAsync(CodeContext context)
    {
        // Not behind the gate: a run in progress must not delay the kill; it ends as a dead kernel.
        if (context.Kernel is { } kernel)
        {
            context.Kernel = null;
            return await kernel.StopAsync().ConfigureAwait(false);
        }

        return true;
    }

    private static string CheckLanguage(string language) => language is Python or JavaScript
        ? language
        : throw new AgentException(AgentErrorCodes.UnsupportedLanguage, $"Language '{language}' is not supported (use \"{Python}\" or \"{JavaScript}\").");
}
