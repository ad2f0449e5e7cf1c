using Microsoft.Extensions.Logging;
using SoulBox.Grains.Nodes;
using SoulBox.Grains.Reaping;

namespace SoulBox.Grains.Hosting;

/// <summary>Before this node takes work, removes containers an earlier run of the same node left behind
/// (a crash leaves them running, holding memory, with no grain to own them), and those of nodes already known
/// dead; on shutdown, removes the idle one-shot containers.</summary>
internal sealed partial class OrphanReaper(ContainerReaper reaper, ExecutorPool executors, NodeIdentity node, ILogger<OrphanReaper> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(OrphanReaper), ServiceLifecycleStage.RuntimeGrainServices, StartAsync, StopAsync);

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        var removed = await reaper.SweepAsync(atStart: true, cancellationToken);
        LogReaped(node.Name, removed);
    }

    private async Task StopAsync(CancellationToken cancellationToken) => await executors.DisposeAsync();

    [LoggerMessage(1, LogLevel.Information, "Node {Node}: removed {Count} orphaned containers from an earlier run")]
    private partial void LogReaped(string node, int count);
}
