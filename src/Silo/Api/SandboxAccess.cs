using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using SoulBox.Grains;
using SoulBox.Grains.State;
using SoulBox.Silo.Auth;

namespace SoulBox.Silo.Api;

/// <summary>Gives a tenant its own sandboxes and nothing else: another tenant's sandbox id is answered exactly like
/// an id that does not exist (404). A sandbox's tenant never changes and ids are never reused, so the owner is
/// remembered after the first look and the hot path costs no extra grain call. The owner of a sandbox that has ended
/// (or whose node is gone) comes from the cluster state, so its owner is told how it ended (409) by any gateway,
/// also after a restart, and anyone else still gets 404.</summary>
internal sealed partial class SandboxAccess(
    IGrainFactory grains,
    IClusterStateStore state,
    IOptions<ClusterStateOptions> stateOptions,
    TimeProvider time,
    ILogger<SandboxAccess> logger) : IDisposable
{
    private static readonly MemoryCacheEntryOptions Entry = new() { Size = 1, SlidingExpiration = TimeSpan.FromHours(2) };
    private readonly MemoryCache _owners = new(new MemoryCacheOptions { SizeLimit = 200_000 });

    public async ValueTask<ISandboxGrain> GetAsync(string sandboxId, string tenant)
    {
        if (SandboxIds.NodeOf(sandboxId) is null)
        {
            throw new SandboxNotFoundException(sandboxId);
        }

        var grain = grains.GetGrain<ISandboxGrain>(sandboxId);
        if (_owners.TryGetValue(sandboxId, out string? owner))
        {
            return owner == tenant ? grain : throw new SandboxNotFoundException(sandboxId);
        }

        SandboxInfo info;
        try
        {
            info = await grain.GetInfoAsync();
        }
        catch (SoulBoxException e) when (e is SandboxKilledException or SandboxExpiredException or SandboxLostException or SandboxNotFoundException)
        {
            // Only the owner may hear how it ended: saying "killed" to another tenant would tell it the id exists.
            var stored = await FindStoredAsync(sandboxId);
            if (stored is null || (stored.Tenant ?? AuthOptions.DefaultTenant) != tenant)
            {
                throw new SandboxNotFoundException(sandboxId);
            }

            _owners.Set(sandboxId, tenant, Entry);
            throw e is SandboxNotFoundException && stored.Ended is { } ended ? ended.ToException(sandboxId) : e;
        }

        Remember(info);
        return OwnerOf(info) == tenant ? grain : throw new SandboxNotFoundException(sandboxId);
    }

    /// <summary>What a sandbox call that failed below SoulBox (Orleans could not place or reach the grain: its worker
    /// was stopping after a drain, or had just died) means for <paramref name="tenant"/>: the sandbox's recorded end
    /// when the cluster state has one and the caller owns it, else null (the original error stands).</summary>
    public async ValueTask<SoulBoxException?> ExplainFailureAsync(string sandboxId, string tenant)
    {
        if (SandboxIds.NodeOf(sandboxId) is null)
        {
            return null;
        }

        var stored = await FindStoredAsync(sandboxId);
        return stored is { Ended: { } ended } && (stored.Tenant ?? AuthOptions.DefaultTenant) == tenant ? ended.ToException(sandboxId) : null;
    }

    /// <summary>Sandboxes created by the .NET client carry no tenant; they belong to the default tenant.</summary>
    public static string OwnerOf(SandboxInfo info) => info.Tenant ?? AuthOptions.DefaultTenant;

    public void Remember(SandboxInfo info) => _owners.Set(info.Id, OwnerOf(info), Entry);

    private async Task<StoredSandbox?> FindStoredAsync(string sandboxId)
    {
        try
        {
            // Bounded like every read of the state: a Redis that is away costs an unknown id WriteWaitMs, not more.
            return await state.FindSandboxAsync(sandboxId).WaitAsync(TimeSpan.FromMilliseconds(Math.Max(stateOptions.Value.WriteWaitMs, 1)), time);
        }
        catch (Exception e)
        {
            // The store is away: answer as a gateway without it would (404), never let a caller in on a guess.
            LogStateFailed(e, sandboxId);
            return null;
        }
    }

    public void Dispose() => _owners.Dispose();

    [LoggerMessage(1, LogLevel.Warning, "Could not read the owner of sandbox {SandboxId} from the cluster state")]
    private partial void LogStateFailed(Exception exception, string sandboxId);
}
