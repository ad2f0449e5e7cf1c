using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SoulBox.Grains.Containers;
using SoulBox.Grains.State;
using SoulBox.Grains.Telemetry;

namespace SoulBox.Grains.Reaping;

/// <summary>Removes the containers on this worker's engine that nobody owns any more: those an earlier start of this
/// node left, and those of any node this cluster's membership declared dead (see <see cref="ReapDecision"/>), with
/// their uid leases and run directories. Every worker on an engine sweeps it, so a dead node's containers go as soon
/// as any survivor there sees the death, or at the node's own next start, whichever comes first; two survivors
/// removing the same container is harmless (the second finds it gone and counts nothing).
/// <para>The cluster's <see cref="DeadNodeWatcher"/> calls it when a silo is declared dead: it sweeps at once.</para></summary>
internal sealed partial class ContainerReaper(
    IContainerRuntime runtime,
    ContainerOwner owner,
    IClusterMembershipService membership,
    IOptions<ReaperOptions> options,
    SoulBoxMetrics metrics,
    TimeProvider time,
    ILogger<ContainerReaper> logger) : ILifecycleParticipant<ISiloLifecycle>, IDeadNodeHandler
{
    private readonly SemaphoreSlim _wake = new(0);
    private readonly SemaphoreSlim _sweeping = new(1);
    private CancellationTokenSource? _stopping;
    private Task _loop = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(ContainerReaper), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    /// <summary>One pass over the engine; returns how many containers it removed. Never runs twice at once.</summary>
    /// <param name="atStart">Before this node takes work: its earlier starts' containers go too (see <see cref="ReapDecision"/>).</param>
    public async Task<int> SweepAsync(bool atStart, CancellationToken cancellationToken)
    {
        await _sweeping.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var engine = await runtime.GetEngineIdAsync(cancellationToken).ConfigureAwait(false);
            var containers = await runtime.ListLabelledContainersAsync(cancellationToken).ConfigureAwait(false);
            // Read after the list: a silo that joined while listing is alive in it, and a container it created is kept.
            var view = membership.CurrentSnapshot;
            var removed = 0;
            foreach (var container in containers)
            {
                if (ReapDecision.Decide(container.Labels, owner, engine, view, atStart) is not { } reason)
                {
                    continue;
                }

                if (await runtime.RemoveLabelledAsync(container, cancellationToken).ConfigureAwait(false))
                {
                    removed++;
                    metrics.ContainerReaped(owner.Node, reason);
                    LogReaped(owner.Node, container.Id[..12], container.Labels.GetValueOrDefault(DockerContainerRuntime.NodeLabel, ""), reason);
                }
            }

            return removed;
        }
        finally
        {
            _sweeping.Release();
        }
    }

    /// <summary>A silo was declared dead: sweep now (on the reaper's loop) instead of at the end of the period.</summary>
    public Task OnNodeDeadAsync(DeadNode node, CancellationToken cancellationToken)
    {
        _wake.Release();
        return Task.CompletedTask;
    }

    private Task StartAsync(CancellationToken cancellationToken)
    {
        _stopping = new CancellationTokenSource();
        _loop = Task.Run(() => LoopAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stopping is null)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
    }

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        var period = TimeSpan.FromSeconds(options.Value.IntervalSeconds);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await WaitForDeathOrPeriodAsync(period, cancellationToken).ConfigureAwait(false);
                await SweepAsync(atStart: false, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The engine may be restarting: the next period tries again.
                LogSweepFailed(e, owner.Node);
            }
        }
    }

    private async Task WaitForDeathOrPeriodAsync(TimeSpan period, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(period, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await _wake.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return;
        }

        // Several deaths at once (a host lost) make one sweep.
        while (_wake.Wait(0))
        {
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Node {Node} removed container {ContainerId} of node {OwnerNode}: {Reason}")]
    private partial void LogReaped(string node, string containerId, string ownerNode, string reason);

    [LoggerMessage(2, LogLevel.Warning, "Node {Node}: sweeping the engine for unowned containers failed")]
    private partial void LogSweepFailed(Exception exception, string node);
}
