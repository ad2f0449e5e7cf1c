using SoulBox.Grains.Containers;

namespace SoulBox.Grains.Nodes;

/// <summary>The runtime images present on this node, read from the engine and cached briefly
/// (images are built by scripts/setup.sh, so they change rarely).</summary>
internal sealed class TemplateCatalog(IContainerRuntime runtime, TimeProvider time)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(10);
    private IReadOnlyDictionary<string, TemplateInfo>? _cached;
    private DateTimeOffset _readAt;

    public async Task<IReadOnlyDictionary<string, TemplateInfo>> GetAsync(CancellationToken cancellationToken)
    {
        if (_cached is { } cached && time.GetUtcNow() - _readAt < Lifetime)
        {
            return cached;
        }

        var list = await runtime.ListTemplatesAsync(cancellationToken).ConfigureAwait(false);
        _readAt = time.GetUtcNow();
        return _cached = list.GroupBy(t => t.Name).ToDictionary(g => g.Key, g => g.First());
    }
}
