using Microsoft.Extensions.Logging;

namespace SoulBox.Grains.State;

/// <summary>Follows this cluster's membership and hands every silo it declares dead to each <see cref="IDeadNodeHandler"/>
/// (the sandboxes of that node are lost; its containers are to be reaped). A dead node cannot report its own end, so
/// survivors do; every survivor does it, which is why handlers are idempotent, and silos already dead when this one
/// starts are handed over too (the membership table keeps them for a while). A handler that fails is logged and
/// does not stop the others or the watcher.</summary>
public sealed partial class DeadNodeWatcher(
    IClusterMembershipService membership,
    IEnumerable<IDeadNodeHandler> handlers,
    ILogger<DeadNodeWatcher> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly IDeadNodeHandler[] _handlers = [.. handlers];
    private readonly HashSet<SiloAddress> _handled = [];
    private readonly CancellationTokenSource _stopping = new();
    private Task _watching = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(DeadNodeWatcher), ServiceLifecycleStage.Active, Start, Stop);

    private Task Start(CancellationToken cancellationToken)
    {
        if (_handlers.Length > 0)
        {
            _watching = Task.Run(() => WatchAsync(_stopping.Token));
        }

        return Task.CompletedTask;
    }

    private async Task Stop(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _watching.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>Hands each newly dead silo of <paramref name="snapshot"/> to the handlers; public for tests.</summary>
    public async Task HandleAsync(ClusterMembershipSnapshot snapshot, CancellationToken cancellationToken)
    {
        foreach (var member in snapshot.Members.Values)
        {
            if (member.Status != SiloStatus.Dead || !_handled.Add(member.SiloAddress) || string.IsNullOrEmpty(member.Name))
            {
                continue;
            }

            LogDead(member.Name, member.SiloAddress.ToString());
            var dead = new DeadNode(member.Name, member.SiloAddress);
            foreach (var handler in _handlers)
            {
                try
                {
                    await handler.OnNodeDeadAsync(dead, cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    LogHandlerFailed(e, handler.GetType().Name, member.Name);
                }
            }
        }
    }

    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        try
        {
            await HandleAsync(membership.CurrentSnapshot, cancellationToken);
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(cancellationToken))
            {
                await HandleAsync(snapshot, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The silo is stopping.
        }
        catch (Exception e)
        {
            LogWatchFailed(e);
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Node {Node} ({Silo}) is dead in the cluster's membership")]
    private partial void LogDead(string node, string silo);

    [LoggerMessage(2, LogLevel.Warning, "Dead-node handler {Handler} failed for node {Node}")]
    private partial void LogHandlerFailed(Exception exception, string handler, string node);

    [LoggerMessage(3, LogLevel.Error, "Watching the cluster's membership for dead nodes stopped")]
    private partial void LogWatchFailed(Exception exception);
}
