using Microsoft.Extensions.Logging;

namespace SoulBox.Grains.Telemetry;

/// <summary>Counts the membership changes this silo sees (soulbox.membership.changes by new status), on every silo,
/// worker or gateway: a silo declared dead, or one that keeps rejoining, shows on every survivor's graph. It subscribes
/// before the silo joins, so a silo's own joining/active transitions are counted too, and a fresh node's counter
/// exists from its first scrape.</summary>
internal sealed partial class MembershipChanges(IClusterMembershipService membership, SoulBoxMetrics metrics, ILogger<MembershipChanges> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _watch = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(MembershipChanges), ServiceLifecycleStage.RuntimeServices,
            _ =>
            {
                _watch = Task.Run(() => WatchAsync(_stopping.Token));
                return Task.CompletedTask;
            },
            async _ =>
            {
                await _stopping.CancelAsync();
                await _watch.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            });

    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        ClusterMembershipSnapshot? previous = null;
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(cancellationToken))
            {
                var changed = previous is null ? snapshot.Members.Values : snapshot.CreateUpdate(previous).Changes;
                foreach (var member in changed)
                {
                    metrics.MembershipChanged(member.Status.ToString().ToLowerInvariant());
                    LogChange(member.Name, member.SiloAddress.ToString(), member.Status);
                }

                previous = snapshot;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The silo is stopping.
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Membership: silo {Silo} ({Address}) is now {Status}")]
    private partial void LogChange(string silo, string address, SiloStatus status);
}
