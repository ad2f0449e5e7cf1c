using System.Globalization;
using Docker.DotNet;
using Docker.DotNet.Models;
using SoulBox.Agent.Protocol;

namespace SoulBox.Grains.Containers;

/// <summary>What the reaper and the warm pool ask of the engine: which SoulBox containers exist (any node's, any
/// cluster's), removing one that this process did not start, the engine's identity and the templates' image ids.</summary>
internal sealed partial class DockerContainerRuntime
{
    private string? _engineId;

    public async Task<string> GetEngineIdAsync(CancellationToken cancellationToken)
    {
        if (_engineId is { } known)
        {
            return known;
        }

        var info = await _docker.System.GetSystemInfoAsync(cancellationToken).ConfigureAwait(false);
        // An engine without an ID (some API proxies) is keyed by its endpoint: still one value per engine.
        return _engineId = string.IsNullOrEmpty(info.ID) ? _options.Endpoint : info.ID;
    }

    public async Task<IReadOnlyList<LabelledContainer>> ListLabelledContainersAsync(CancellationToken cancellationToken)
    {
        var containers = await _docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [NodeLabel] = true } },
        }, cancellationToken).ConfigureAwait(false);

        return containers
            .Select(c => new LabelledContainer(
                c.ID,
                c.Names?.FirstOrDefault()?.TrimStart('/') ?? c.ID,
                c.Labels is null ? new Dictionary<string, string>() : new Dictionary<string, string>(c.Labels),
                c.Mounts?.FirstOrDefault(m => m.Destination == AgentProtocol.ContainerRunDirectory)?.Source))
            .ToList();
    }

    public async Task<bool> RemoveLabelledAsync(LabelledContainer container, CancellationToken cancellationToken)
    {
        bool removed;
        try
        {
            await _docker.Containers.RemoveContainerAsync(container.Id, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, cancellationToken).ConfigureAwait(false);
            removed = true;
        }
        catch (DockerContainerNotFoundException)
        {
            // Another worker on this engine reaped it first.
            removed = false;
        }
        catch (DockerApiException e) when (e.Message.Contains("already in progress", StringComparison.Ordinal))
        {
            removed = false;
        }

        ContainerCgroup.Forget(container.Id);
        _uidByContainerName.TryRemove(container.Name, out _);
        if (container.Labels.TryGetValue(ContainerLabels.Uid, out var uidLabel) && int.TryParse(uidLabel, NumberStyles.None, CultureInfo.InvariantCulture, out var uid))
        {
            _uids.ReleaseIfHeldBy(uid, container.Name);
        }

        // The run directory comes from the container's own bind mount (the dead node may have laid it out under
        // another name); only one inside this node's run directory is deleted, never a path elsewhere on the host.
        var runDirectory = container.RunDirectory ?? RunDirectoryOf(container.Name);
        if (IsUnderRunDirectory(runDirectory))
        {
            TryDeleteDirectory(runDirectory);
        }

        return removed;
    }

    public async Task<IReadOnlyDictionary<string, string>> ListTemplateImageIdsAsync(CancellationToken cancellationToken)
    {
        var images = await ListTemplateImagesAsync(cancellationToken).ConfigureAwait(false);
        var ids = images.GroupBy(i => i.Labels[TemplateLabel]).ToDictionary(g => g.Key, g => g.First().ID);
        foreach (var (info, imageId) in await ListCustomTemplatesAsync(cancellationToken).ConfigureAwait(false))
        {
            if (info.Available && imageId is not null)
            {
                ids[info.Name] = imageId;
            }
        }

        return ids;
    }

    /// <summary>Images of SoulBox's own templates: labelled with it, tagged as the image its containers start from, and a
    /// template this build knows how to run (its languages, user and home). Another image that happens to carry the
    /// label on the same engine (a newer build's template, someone's experiment) is not offered to callers; a template
    /// registered in configuration is found by the image it names (<see cref="ListCustomTemplatesAsync"/>).</summary>
    private async Task<IEnumerable<ImagesListResponse>> ListTemplateImagesAsync(CancellationToken cancellationToken)
    {
        var images = await _docker.Images.ListImagesAsync(new ImagesListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [TemplateLabel] = true } },
        }, cancellationToken).ConfigureAwait(false);
        return images.Where(i => i.Labels is not null && i.Labels.TryGetValue(TemplateLabel, out var t) && Templates.All.Contains(t) && (i.RepoTags?.Contains(ImageFor(t)) ?? false));
    }

    private bool IsUnderRunDirectory(string path)
    {
        var root = Path.GetFullPath(_options.RunDirectory).TrimEnd('/') + "/";
        var full = Path.GetFullPath(path);
        return full.StartsWith(root, StringComparison.Ordinal) && full.Length > root.Length;
    }
}
