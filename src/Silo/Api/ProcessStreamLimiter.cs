using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace SoulBox.Silo.Api;

/// <summary>Counts the background-process event streams open on this gateway, per tenant and in all, and refuses one
/// past <see cref="ProcessStreamOptions"/> with too_many_requests (429). Dispose the lease when the stream ends.</summary>
public sealed class ProcessStreamLimiter(IOptions<ProcessStreamOptions> options)
{
    private readonly ConcurrentDictionary<string, StrongBox> _tenants = new(StringComparer.Ordinal);
    private readonly StrongBox _all = new();

    public ProcessStreamOptions Options => options.Value;

    /// <summary>Streams open now for <paramref name="tenant"/>.</summary>
    public int OpenFor(string tenant) => _tenants.TryGetValue(tenant, out var box) ? Volatile.Read(ref box.Value) : 0;

    public IDisposable Enter(string tenant)
    {
        var limits = options.Value;
        var box = _tenants.GetOrAdd(tenant, _ => new StrongBox());
        if (Interlocked.Increment(ref box.Value) > limits.MaxPerTenant)
        {
            Interlocked.Decrement(ref box.Value);
            throw new TooManyRequestsException($"Tenant '{tenant}' already has {limits.MaxPerTenant} process streams open on this gateway (SoulBox:ProcessStreams:MaxPerTenant); detach one first.");
        }

        if (Interlocked.Increment(ref _all.Value) > limits.MaxPerNode)
        {
            Interlocked.Decrement(ref _all.Value);
            Interlocked.Decrement(ref box.Value);
            throw new TooManyRequestsException($"This gateway already has {limits.MaxPerNode} process streams open (SoulBox:ProcessStreams:MaxPerNode); retry later.");
        }

        return new Lease(box, _all);
    }

    private sealed class StrongBox
    {
        public int Value;
    }

    private sealed class Lease(StrongBox tenant, StrongBox all) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref tenant.Value);
                Interlocked.Decrement(ref all.Value);
            }
        }
    }
}
