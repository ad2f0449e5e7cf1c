using SoulBox.Grains.Containers;

namespace SoulBox.Grains.Nodes;

/// <summary>The templates this node can start sandboxes of — SoulBox's own whose image is present and registered ones
/// (SoulBox:Templates) whose image is present and runs the agent — read from the engine and cached briefly (images are
/// built by scripts/setup.sh, so they change rarely). Registered templates that cannot be used are kept apart, with
/// the reason, for the listing.</summary>
internal sealed class TemplateCatalog(IContainerRuntime runtime, TimeProvider time)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(10);
    private IReadOnlyDictionary<string, TemplateInfo>? _cached;
    private IReadOnlyList<TemplateInfo> _all = [];
    private DateTimeOffset _readAt;
    private IReadOnlyDictionary<string, string>? _imageIds;
    private DateTimeOffset _imageIdsAskedAt;

    /// <summary>The templates sandboxes can be created from now, by name.</summary>
    public async Task<IReadOnlyDictionary<string, TemplateInfo>> GetAsync(CancellationToken cancellationToken)
    {
        if (_cached is { } cached && time.GetUtcNow() - _readAt < Lifetime)
        {
            return cached;
        }

        var list = await runtime.ListTemplatesAsync(cancellationToken).ConfigureAwait(false);
        _readAt = time.GetUtcNow();
        _all = list;
        return _cached = list.Where(t => t.Available).GroupBy(t => t.Name).ToDictionary(g => g.Key, g => g.First());
    }

    /// <summary>Every template the node knows of: the available ones and registered ones that are not, with the reason.</summary>
    public async Task<IReadOnlyList<TemplateInfo>> GetAllAsync(CancellationToken cancellationToken)
    {
        await GetAsync(cancellationToken).ConfigureAwait(false);
        return _all;
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
