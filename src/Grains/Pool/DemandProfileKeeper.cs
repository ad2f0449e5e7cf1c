using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SoulBox.Grains.Hosting;
using SoulBox.Grains.State;

namespace SoulBox.Grains.Pool;

/// <summary>Keeps this node's learned demand (<see cref="DemandPredictor"/>) in the cluster state, under the node's
/// name: loaded before the warm pool starts, so a restarted node pre-warms from what it learned rather than from
/// nothing; saved every <see cref="ClusterStateOptions.DemandSaveIntervalSeconds"/> and when the node stops. A store
/// that does not answer costs the node its memory of demand, never its start.</summary>
public sealed partial class DemandProfileKeeper(
    NodeIdentity node,
    DemandPredictor predictor,
    IClusterStateStore store,
    IOptions<ClusterStateOptions> options,
    TimeProvider time,
    ILogger<DemandProfileKeeper> logger) : ILifecycleParticipant<ISiloLifecycle>, IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _saving = Task.CompletedTask;

    /// <summary>Loads before <see cref="PoolStarter"/> starts the pool (stage Active), saves after it stopped.</summary>
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(DemandProfileKeeper), ServiceLifecycleStage.Active - 1, StartAsync, StopAsync);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        // The timer starts counting now, not when the thread pool gets to the loop.
        var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.DemandSaveIntervalSeconds), time);
        _saving = Task.Run(() => SaveEveryIntervalAsync(timer, _stopping.Token), CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _saving.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await SaveAsync(cancellationToken);
    }

    /// <summary>Takes up the profile this node saved last, if any; waits at most WriteWaitMs for the store.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        try
        {
            var profile = await store.LoadDemandProfileAsync(node.Name, cancellationToken).WaitAsync(Wait, time, cancellationToken);
            if (profile is not null)
            {
                predictor.Restore(profile);
                LogLoaded(node.Name, profile.Templates.Count);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogFailed(e, "load", node.Name);
        }
    }

    public async Task SaveAsync(CancellationToken cancellationToken)
    {
        var profile = predictor.Snapshot();
        if (profile.Templates.Count == 0)
        {
            return; // Nothing learned: keep whatever an earlier start saved.
        }

        try
        {
            await store.SaveDemandProfileAsync(node.Name, profile, cancellationToken).WaitAsync(Wait, time, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogFailed(e, "save", node.Name);
        }
    }

    private TimeSpan Wait => TimeSpan.FromMilliseconds(Math.Max(options.Value.WriteWaitMs, 1));

    private async Task SaveEveryIntervalAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        using var owned = timer;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await SaveAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The node is stopping; StopAsync saves once more.
        }
    }

    /// <summary>Stops the periodic save (idempotent: the container may dispose this once per registration).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _saving.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    [LoggerMessage(1, LogLevel.Information, "Node {Node} pre-warms from its saved demand profile ({Templates} templates)")]
    private partial void LogLoaded(string node, int templates);

    [LoggerMessage(2, LogLevel.Warning, "Could not {Action} the demand profile of node {Node}")]
    private partial void LogFailed(Exception exception, string action, string node);
}
