using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SoulBox.Grains.Sandboxes;

namespace SoulBox.Grains.State;

/// <summary>A worker's sandboxes in the cluster state: each live one with its tenant in its node's live set (written
/// in the background on create and on a new expiry), each ended one with how it ended (waited for, briefly, so that
/// another gateway asked right after a kill already answers 409), and the lookup a silo makes for an id it does not
/// hold. The store is never on the path of a run.</summary>
public sealed partial class SandboxLedger(
    ClusterStateRecorder recorder,
    IClusterStateStore store,
    ILocalSiloDetails silo,
    IOptions<ClusterStateOptions> options,
    TimeProvider time,
    ILogger<SandboxLedger> logger)
{
    public void Live(SandboxInfo info)
    {
        var stored = ToStored(info);
        recorder.RecordLater($"sandbox {info.Id} live", (s, ct) => s.SandboxLiveAsync(stored, ct));
    }

    public Task EndedAsync(SandboxInfo info, EndedSandbox ended)
    {
        var stored = ToStored(info) with { Ended = ended };
        return recorder.RecordAndWaitAsync($"sandbox {info.Id} ended", (s, ct) => s.SandboxEndedAsync(stored, ct));
    }

    /// <summary>The sandbox as the cluster state knows it; null when it does not, or when the store does not answer
    /// within WriteWaitMs (then the caller answers as without a store).</summary>
    public async Task<StoredSandbox?> FindAsync(string sandboxId)
    {
        try
        {
            return await store.FindSandboxAsync(sandboxId).WaitAsync(TimeSpan.FromMilliseconds(Math.Max(options.Value.WriteWaitMs, 1)), time);
        }
        catch (Exception e)
        {
            LogFindFailed(e, sandboxId);
            return null;
        }
    }

    private StoredSandbox ToStored(SandboxInfo info) =>
        new(info.Id, info.Node, silo.SiloAddress.Generation, info.Tenant, info.ExpiresAt);

    [LoggerMessage(1, LogLevel.Warning, "Could not look sandbox {SandboxId} up in the cluster state")]
    private partial void LogFindFailed(Exception exception, string sandboxId);
}
