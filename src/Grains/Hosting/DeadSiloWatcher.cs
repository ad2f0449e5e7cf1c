using Microsoft.Extensions.Logging;

namespace SoulBox.Grains.Hosting;

/// <summary>Tells subscribers when this cluster's membership declares a silo dead (killed, crashed, partitioned
/// away): the container reaper removes its containers, and anything else that must react to a lost node
/// (its sandboxes' records) subscribes the same way.
/// <para>A handler is called once per dead silo incarnation seen to die while this silo runs (silos already dead
/// when it joined are in <see cref="Current"/>), on the watcher's loop: it should be quick, or hand the work off.
/// The silo's name is its node name, which a later start of the node reuses: a live member of the same name in
/// <see cref="Current"/> is that newer incarnation, not the dead one.</para></summary>
public sealed partial class DeadSiloWatcher(IClusterMembershipService membership, ILogger<DeadSiloWatcher> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly Lock _gate = new();
    private readonly HashSet<SiloAddress> _reported = [];
    private Func<ClusterMember, CancellationToken, Task>[] _handlers = [];
    private CancellationTokenSource? _stopping;
    private Task _loop = Task.CompletedTask;

    /// <summary>This silo's current view of the cluster, dead members included.</summary>
    public ClusterMembershipSnapshot Current => membership.CurrentSnapshot;

    /// <summary>Calls <paramref name="handler"/> for every silo declared dead from now on. A handler that throws is
    /// logged; the others still run.</summary>
    public void Subscribe(Func<ClusterMember, CancellationToken, Task> handler)
    {
        lock (_gate)
        {
            _handlers = [.. _handlers, handler];
        }
    }

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(DeadSiloWatcher), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    private Task StartAsync(CancellationToken cancellationToken)
    {
        // Silos dead before this one joined are history, not news.
        foreach (var member in membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead))
        {
            _reported.Add(member.SiloAddress);
        }

        _stopping = new CancellationTokenSource();
        _loop = Task.Run(() => WatchAsync(_stopping.Token), CancellationToken.None);
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

    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                foreach (var member in snapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead && _reported.Add(m.SiloAddress)))
                {
                    LogDead(member.Name, member.SiloAddress.ToString());
                    Func<ClusterMember, CancellationToken, Task>[] handlers;
                    lock (_gate)
                    {
                        handlers = _handlers;
                    }

                    foreach (var handler in handlers)
                    {
                        try
                        {
                            await handler(member, cancellationToken).ConfigureAwait(false);
                        }
                        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                        {
                            LogHandlerFailed(e, member.Name);
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Membership declared node {Node} ({Silo}) dead")]
    private partial void LogDead(string node, string silo);

    [LoggerMessage(2, LogLevel.Error, "A dead-node handler failed for node {Node}")]
    private partial void LogHandlerFailed(Exception exception, string node);
}
