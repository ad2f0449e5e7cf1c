using SoulBox.Grains.Containers;

namespace SoulBox.Grains.Nodes;

/// <summary>The runtime images present on this node, read from the engine and cached briefly
/// (images are built by scripts/setup.sh, so they change rarely).</summary>
internal sealed class TemplateCatalog(IContainerRuntime runtime, TimeProvider time)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(10);
    private IReadOnlyDictionary<string, TemplateInfo>? _cached;
    private DateTimeOffset _readAt;
    private IReadOnlyDictionary<string, string>? _imageIds;
    private DateTimeOffset _imageIdsAskedAt;

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

    /// <summary>The image id each template's tag points at, and when the engine was asked (for the warm pool, which
    /// recycles containers of an image rebuilt since).</summary>
    public async Task<(IReadOnlyDictionary<string, string> Ids, DateTimeOffset AskedAt)> GetImageIdsAsync(CancellationToken cancellationToken)
    {
        if (_imageIds is { } cached && time.GetUtcNow() - _imageIdsAskedAt < Lifetime)
        {
            return (cached, _imageIdsAskedAt);
        }

        var asked = time.GetUtcNow();
        var ids = await runtime.ListTemplateImageIdsAsync(cancellationToken).ConfigureAwait(false);
        _imageIdsAskedAt = asked;
        return (_imageIds = ids, asked);
    }
}
