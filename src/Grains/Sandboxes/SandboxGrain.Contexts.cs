using SoulBox.Agent.Protocol;
using SoulBox.Grains.Execution;

namespace SoulBox.Grains.Sandboxes;

// Code contexts with a working directory, listing and restart. The agent keeps the table (it is the truth: its
// contexts outlive a reconnect of the silo, and default contexts appear there once used), so nothing is cached here.
internal sealed partial class SandboxGrain
{
    public async Task<CodeContextInfo> CreateContextAsync(string language, string? cwd, CancellationToken cancellationToken = default)
    {
        await ThrowIfUnknownAsync();
        var agent = EnsureRunning();
        var canonical = ContextLanguage(language);
        // Relative to the template's home, confined and checked to exist by the agent (a missing one is not_found).
        var directory = cwd is null ? null : FileNames.ValidatePath(cwd, "cwd");
        var created = (ContextCreatedEvent)await Call(() => agent.RequestAsync(new CreateContextRequest(canonical, directory), cancellationToken), directory);
        return ToInfo(created);
    }

    public async Task<CodeContextInfo[]> ListContextsAsync(CancellationToken cancellationToken = default)
    {
        await ThrowIfUnknownAsync();
        var agent = EnsureRunning();
        var list = (ContextListEvent)await Call(() => agent.RequestAsync(new ListContextsRequest(), cancellationToken));
        return [.. list.Contexts.Select(c => new CodeContextInfo { Id = c.ContextId, Language = c.Language, Cwd = c.Cwd })];
    }

    public async Task RestartContextAsync(string contextId, CancellationToken cancellationToken = default)
    {
        await ThrowIfUnknownAsync();
        var agent = EnsureRunning();
        if (string.IsNullOrEmpty(contextId) || contextId.Length > 128)
        {
            throw new SandboxValidationException("contextId", "A context id (at most 128 characters) is required.");
        }

        await Call(() => agent.RequestAsync(new RestartContextRequest(contextId), cancellationToken));
    }

    /// <summary>The canonical language of a context, which the sandbox's template must run; an empty one is the
    /// template's default (the gateway does not know registered templates' defaults).</summary>
    private string ContextLanguage(string language)
    {
        var canonical = _validate.Language(string.IsNullOrEmpty(language) ? null : language, templates.DefaultLanguage(_info!.Template));
        if (!Languages.IsStateful(canonical) || !templates.Supports(_info!.Template, canonical))
        {
            var runs = string.Join(" and ", templates.LanguagesOf(_info!.Template).Where(Languages.IsStateful));
            throw new SandboxValidationException("language",
                $"Contexts of a '{_info.Template}' sandbox run {(runs.Length > 0 ? runs : "no language (it has no kernel)")}, not {language}.");
        }

        return canonical;
    }

    private CodeContextInfo ToInfo(ContextCreatedEvent created) => new()
    {
        Id = created.ContextId,
        Language = created.Language,
        Cwd = created.Cwd ?? templates.Home(_info!.Template),
    };
}
