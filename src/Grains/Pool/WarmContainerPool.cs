using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SoulBox.Agent.Protocol;
using SoulBox.Grains.AgentClient;
using SoulBox.Grains.Containers;
using SoulBox.Grains.Hosting;
using SoulBox.Grains.Nodes;
using SoulBox.Grains.Reaping;
using SoulBox.Grains.Telemetry;

namespace SoulBox.Grains.Pool;

/// <summary>A started container whose agent is connected (and, for Python and Node, whose kernel is up),
/// waiting to become a sandbox.</summary>
internal sealed record WarmContainer(ContainerHandle Container, AgentConnection Agent, DateTimeOffset WarmedAt);

/// <summary>This node's warm containers per template. Creating a sandbox claims one (a dequeue, no Docker
/// call); the pool manager decides how many to hold. Node-local by nature: a claimed container and its open
/// socket move into the sandbox grain in this process.
/// <para>Each template's pool holds containers of one image id, the one its tag points at: a rebuilt or
/// re-registered image (a new id under the same tag) recycles the containers of the old one (removed, never handed
/// out) and the pool refills from the new. The current id comes from the template catalog's periodic look at the
/// engine and from every container start (which inspects the tag), whichever saw the engine last.</para></summary>
internal sealed partial class WarmContainerPool(
    IContainerRuntime runtime,
    IOptions<SandboxOptions> sandboxOptions,
    IOptions<PoolOptions> poolOptions,
    IOptions<ContainerRuntimeOptions> runtimeOptions,
    NodeIdentity node,
    SoulBoxMetrics metrics,
    ContainerStarts starts,
    TemplateDefinitions definitions,
    TimeProvider time,
    ILogger<WarmContainerPool> logger) : IAsyncDisposable
{
    // Per template: the image id its tag points at, and when the engine was asked (a later look wins).
    private readonly ConcurrentDictionary<string, (string Id, DateTimeOffset SeenAt)> _images = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<WarmContainer>> _idle = new();
    private readonly ConcurrentDictionary<string, int> _starting = new();
    private readonly ConcurrentDictionary<string, int> _targets = new();
    private readonly SemaphoreSlim _starts = new(poolOptions.Value.MaxConcurrentStarts);
    private readonly SandboxOptions _sandbox = sandboxOptions.Value;
    private readonly PoolOptions _options = poolOptions.Value;
    private volatile bool _disposed;
    // Starts still under way: disposing waits for them, so a container that comes up while the node shuts down is
    // removed by this process instead of outliving it (it would be left running until the node's next start-up).
    private readonly ConcurrentDictionary<Task, byte> _inFlight = new();

    public int Idle(string template) => _idle.TryGetValue(template, out var queue) ? queue.Count : 0;

    public int Starting(string template) => _starting.GetValueOrDefault(template);

    public int TotalIdle => _idle.Values.Sum(q => q.Count);

    public IEnumerable<string> Templates => _idle.Keys;

    /// <summary>A warm container for a sandbox of this shape, or null (pool off, empty, or the sandbox asks for
    /// other limits than the pool's containers have: the template's defaults).</summary>
    public WarmContainer? TryClaim(string template, int memoryMb, double cpu)
    {
        var (warmMemoryMb, warmCpu) = WarmLimits(template);
        if (!_options.Enabled || memoryMb != warmMemoryMb || Math.Abs(cpu - warmCpu) > 1e-9 || !_idle.TryGetValue(template, out var queue))
        {
            return null;
        }

        while (queue.TryDequeue(out var warm))
        {
            if (IsStale(warm))
            {
                _ = RecycleAsync(warm);
                continue;
            }

            if (!warm.Agent.IsClosed)
            {
                // Top up right away instead of waiting for the manager's next tick: bursts come in groups.
                _ = FillAsync(template, _targets.GetValueOrDefault(template));
                return warm;
            }

            _ = DiscardAsync(warm);
        }

        _ = FillAsync(template, _targets.GetValueOrDefault(template));
        return null;
    }

    /// <summary>Brings the template's pool to <paramref name="target"/>: starts what is missing (a few at a
    /// time), removes the excess and any container that died while waiting.</summary>
    public async Task FillAsync(string template, int target)
    {
        _targets[template] = target;
        var queue = _idle.GetOrAdd(template, _ => new ConcurrentQueue<WarmContainer>());
        foreach (var dead in queue.Where(w => w.Agent.IsClosed).ToList())
        {
            LogDied(template, dead.Container.Id[..12]);
        }

        while (!_disposed && queue.Count > target && queue.TryDequeue(out var extra))
        {
            await DiscardAsync(extra).ConfigureAwait(false);
        }

        var missing = target - queue.Count(w => !w.Agent.IsClosed) - _starting.GetValueOrDefault(template);
        if (missing <= 0 || _disposed)
        {
            return;
        }

        _starting.AddOrUpdate(template, missing, (_, n) => n + missing);
        await Task.WhenAll(Enumerable.Range(0, missing).Select(_ => Track(StartOneAsync(template, queue)))).ConfigureAwait(false);
    }

    private async Task StartOneAsync(string template, ConcurrentQueue<WarmContainer> queue)
    {
        try
        {
            await _starts.WaitAsync().ConfigureAwait(false);
            try
            {
                if (_disposed)
                {
                    return;
                }

                var asked = time.GetUtcNow();
                var warm = await WarmUpAsync(template).ConfigureAwait(false);
                if (_disposed)
                {
                    await DiscardAsync(warm).ConfigureAwait(false);
                    return;
                }

                // The start inspected the tag after `asked`: news of a rebuild, or a start of an image rebuilt since.
                ObserveImage(template, warm.Container.ImageId, asked);
                if (IsStale(warm))
                {
                    await RecycleAsync(warm).ConfigureAwait(false);
                    return;
                }

                queue.Enqueue(warm);
            }
            finally
            {
                _starts.Release();
            }
        }
        catch (Exception e)
        {
            LogStartFailed(e, template);
        }
        finally
        {
            _starting.AddOrUpdate(template, 0, (_, n) => Math.Max(0, n - 1));
        }
    }

    /// <summary>The limits a sandbox of <paramref name="template"/> gets when it asks for none: a registered template's
    /// own defaults, else the node's. Warm containers are started with them, so such a sandbox can claim one.</summary>
    private (int MemoryMb, double Cpu) WarmLimits(string template)
    {
        var definition = definitions.Find(template);
        return (definition?.MemoryMb ?? _sandbox.DefaultMemoryMb, definition?.Cpu ?? _sandbox.DefaultCpu);
    }

    private async Task<WarmContainer> WarmUpAsync(string template)
    {
        var (memoryMb, cpu) = WarmLimits(template);
        var (container, agent) = await ConnectedContainer.StartAsync(runtime, new ContainerSpec
        {
            Template = template,
            MemoryBytes = memoryMb * 1024L * 1024,
            Cpu = cpu,
            PidsLimit = _sandbox.PidsLimit,
            WorkDirSizeMb = _sandbox.WorkDirSizeMb,
            TmpSizeMb = _sandbox.TmpSizeMb,
            Purpose = "warm",
        }, TimeSpan.FromSeconds(runtimeOptions.Value.AgentStartTimeoutSeconds), logger, starts, CancellationToken.None).ConfigureAwait(false);
        try
        {
            var language = definitions.DefaultLanguage(template);
            if (Languages.IsStateful(language))
            {
                // Start the default kernel now, so the sandbox's first run does not pay for an interpreter start.
                await agent.RequestAsync(new RunCodeRequest(language == Languages.Python ? "None" : "undefined", language, null, null, 30_000), CancellationToken.None).ConfigureAwait(false);
            }

            return new WarmContainer(container, agent, time.GetUtcNow());
        }
        catch
        {
            await agent.DisposeAsync().ConfigureAwait(false);
            await runtime.RemoveAsync(container, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Records that <paramref name="template"/>'s tag pointed at <paramref name="imageId"/> when the engine was
    /// asked at <paramref name="seenAt"/>; when that is news, the idle containers of any other image are recycled.</summary>
    public void ObserveImage(string template, string imageId, DateTimeOffset seenAt)
    {
        if (string.IsNullOrEmpty(imageId))
        {
            return;
        }

        var current = _images.AddOrUpdate(template, (imageId, seenAt), (_, known) => seenAt > known.SeenAt ? (imageId, seenAt) : known);
        if (current.Id != imageId || current.SeenAt != seenAt || !_idle.TryGetValue(template, out var queue))
        {
            return;
        }

        var stale = 0;
        for (var n = queue.Count; n > 0 && queue.TryDequeue(out var warm); n--)
        {
            if (IsStale(warm))
            {
                stale++;
                _ = RecycleAsync(warm);
            }
            else
            {
                queue.Enqueue(warm);
            }
        }

        if (stale > 0)
        {
            LogImageChanged(template, ContainerLabels.ShortImageId(imageId), stale);
            _ = FillAsync(template, _targets.GetValueOrDefault(template));
        }
    }

    /// <summary>The image id the template's warm containers are made from now; empty until first seen.</summary>
    public string CurrentImage(string template) => _images.TryGetValue(template, out var image) ? image.Id : "";

    private bool IsStale(WarmContainer warm) =>
        _images.TryGetValue(warm.Container.Template, out var image) && warm.Container.ImageId != image.Id;

    private async Task RecycleAsync(WarmContainer warm)
    {
        metrics.ContainerReaped(node.Name, ReapReason.StaleImage);
        await DiscardAsync(warm).ConfigureAwait(false);
    }

    private async Task DiscardAsync(WarmContainer warm)
    {
        await warm.Agent.DisposeAsync().ConfigureAwait(false);
        try
        {
            await runtime.RemoveAsync(warm.Container, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LogStartFailed(e, warm.Container.Template);
        }
    }

    private async Task Track(Task start)
    {
        _inFlight[start] = 0;
        try
        {
            await start.ConfigureAwait(false);
        }
        finally
        {
            _inFlight.TryRemove(start, out _);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        try
        {
            // A start that finishes now sees _disposed and removes its container; wait for that, within a bound.
            await Task.WhenAll(_inFlight.Keys).WaitAsync(TimeSpan.FromSeconds(runtimeOptions.Value.AgentStartTimeoutSeconds + 10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        foreach (var queue in _idle.Values)
        {
            while (queue.TryDequeue(out var warm))
            {
                await DiscardAsync(warm).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Starting a warm {Template} container failed")]
    private partial void LogStartFailed(Exception exception, string template);

    [LoggerMessage(2, LogLevel.Information, "Warm {Template} container {ContainerId} died while idle; replacing it")]
    private partial void LogDied(string template, string containerId);

    [LoggerMessage(3, LogLevel.Information, "Template {Template} now runs image {ImageId}: recycling {Count} warm containers of the old one")]
    private partial void LogImageChanged(string template, string imageId, int count);
}
