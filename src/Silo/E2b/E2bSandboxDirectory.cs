using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Caching.Memory;
using SoulBox.Grains;
using SoulBox.Silo.Api;

namespace SoulBox.Silo.E2b;

/// <summary>What the E2B data plane needs to know of a sandbox before it lets a request through: its tenant and its
/// access tokens. Remembered after the first look (a sandbox's tenant and tokens never change), so a data-plane call
/// costs no extra grain call on the hot path. The envd token is the sandbox's <see cref="SandboxInfo.AccessToken"/>;
/// the traffic token (what the code interpreter's <c>/contexts</c> calls carry) is derived from it, so no gateway
/// needs to store either.</summary>
internal sealed class E2bSandboxDirectory(IGrainFactory grains) : IDisposable
{
    private static readonly MemoryCacheEntryOptions Entry = new() { Size = 1, SlidingExpiration = TimeSpan.FromHours(2) };
    private static readonly byte[] TrafficLabel = "soulbox-e2b-traffic-token"u8.ToArray();
    private readonly MemoryCache _sandboxes = new(new MemoryCacheOptions { SizeLimit = 200_000 });

    /// <summary>A sandbox known to the data plane.</summary>
    public sealed record Known(SandboxInfo Info, byte[] EnvdToken, byte[] TrafficToken)
    {
        public string Tenant => SandboxAccess.OwnerOf(Info);

        public ISandboxGrain Grain(IGrainFactory grains) => grains.GetGrain<ISandboxGrain>(Info.Id);
    }

    public static string TrafficTokenOf(string accessToken) =>
        System.Buffers.Text.Base64Url.EncodeToString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(accessToken), TrafficLabel));

    public Known Remember(SandboxInfo info)
    {
        var known = new Known(info, Encoding.UTF8.GetBytes(info.AccessToken), Encoding.UTF8.GetBytes(TrafficTokenOf(info.AccessToken)));
        _sandboxes.Set(info.Id, known, Entry);
        return known;
    }

    public void Forget(string sandboxId) => _sandboxes.Remove(sandboxId);

    /// <summary>The code interpreter's execution count of a context (E2B's <c>number_of_executions</c>), kept by the
    /// gateway that served the runs: a count, not state, so a second gateway starting from 1 harms nothing.</summary>
    public int CountExecution(string sandboxId, string context)
    {
        var counter = _sandboxes.GetOrCreate($"runs|{sandboxId}|{context}", entry =>
        {
            entry.SetOptions(Entry);
            return new StrongBox<int>();
        })!;
        return Interlocked.Increment(ref counter.Value);
    }

    public void ForgetExecutions(string sandboxId, string context) => _sandboxes.Remove($"runs|{sandboxId}|{context}");

    /// <summary>The sandbox, or null when it does not exist or has ended (the data plane then answers as E2B's proxy
    /// does for a sandbox that is gone: 502).</summary>
    public async ValueTask<Known?> FindAsync(string sandboxId)
    {
        if (_sandboxes.TryGetValue(sandboxId, out Known? known))
        {
            return known;
        }

        if (SandboxIds.NodeOf(sandboxId) is null)
        {
            return null;
        }

        try
        {
            var info = await grains.GetGrain<ISandboxGrain>(sandboxId).GetInfoAsync();
            return info.AccessToken.Length == 0 ? null : Remember(info);
        }
        catch (SoulBoxException e) when (e is SandboxKilledException or SandboxExpiredException or SandboxLostException or SandboxNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Whether the request carries one of the sandbox's tokens: X-Access-Token (envd, /execute) or
    /// E2B-Traffic-Access-Token (the code interpreter). Compared in constant time.</summary>
    public static bool Admits(Known sandbox, HttpRequest request) =>
        Matches(request.Headers["X-Access-Token"], sandbox.EnvdToken)
        || Matches(request.Headers["E2B-Traffic-Access-Token"], sandbox.TrafficToken);

    private static bool Matches(Microsoft.Extensions.Primitives.StringValues header, byte[] token)
    {
        if (header is not [{ Length: > 0 and <= 256 } value])
        {
            return false;
        }

        Span<byte> given = stackalloc byte[Encoding.UTF8.GetMaxByteCount(value.Length)];
        var length = Encoding.UTF8.GetBytes(value.Trim(), given);
        return CryptographicOperations.FixedTimeEquals(given[..length], token);
    }

    public void Dispose() => _sandboxes.Dispose();
}
