using System.Collections.Concurrent;

namespace SoulBox.Silo.E2b.Envd;

/// <summary>The name of a template's sandbox user, which envd reports as every entry's owner and group: the last
/// segment of its home directory (<c>user</c> in E2B's templates, <c>sandbox</c> in SoulBox's own), found once per
/// template by asking a sandbox of it where "." is. Every file the sandbox user can reach through the files API lies in
/// its home or /tmp and is normally its own; the grain does not report owners, so this is the user, not a stat.</summary>
internal sealed class SandboxUserNames
{
    private const int MaxTemplates = 1024;
    private readonly ConcurrentDictionary<string, string> _byTemplate = new(StringComparer.Ordinal);

    public ValueTask<string> GetAsync(E2bSandboxTarget target, CancellationToken cancellationToken) =>
        _byTemplate.TryGetValue(target.Info.Template, out var name) ? ValueTask.FromResult(name) : LookUpAsync(target, cancellationToken);

    private async ValueTask<string> LookUpAsync(E2bSandboxTarget target, CancellationToken cancellationToken)
    {
        var home = await target.Grain.StatFileAsync(".", cancellationToken);
        var name = home.Name.Length > 0 ? home.Name : "sandbox";
        if (_byTemplate.Count >= MaxTemplates)
        {
            _byTemplate.Clear(); // templates are few; this only bounds a node asked about endless names
        }

        _byTemplate[target.Info.Template] = name;
        return name;
    }
}
