using Microsoft.Extensions.Caching.Memory;
using SoulBox.Grains;
using SoulBox.Silo.Auth;

namespace SoulBox.Silo.Api;

/// <summary>Gives a tenant its own sandboxes and nothing else: another tenant's sandbox id is answered exactly like
/// an id that does not exist (404). A sandbox's tenant never changes and ids are never reused, so the owner is
/// remembered after the first look and the hot path costs no extra grain call.</summary>
internal sealed class SandboxAccess(IGrainFactory grains) : IDisposable
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
        catch (SoulBoxException e) when (e is SandboxKilledException or SandboxExpiredException or SandboxLostException)
        {
            // Whose it was is not known any more: saying "killed" could tell another tenant it exists.
            throw new SandboxNotFoundException(sandboxId);
        }

        Remember(info);
        return OwnerOf(info) == tenant ? grain : throw new SandboxNotFoundException(sandboxId);
    }

    /// <summary>Sandboxes created by the .NET client carry no tenant; they belong to the default tenant.</summary>
    public static string OwnerOf(SandboxInfo info) => info.Tenant ?? AuthOptions.DefaultTenant;

    public void Remember(SandboxInfo info) => _owners.Set(info.Id, OwnerOf(info), Entry);

    public void Dispose() => _owners.Dispose();
}
