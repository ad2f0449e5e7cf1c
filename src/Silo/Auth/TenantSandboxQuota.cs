using System.Collections.Concurrent;
using SoulBox.Grains;
using SoulBox.Silo.Problems;

namespace SoulBox.Silo.Auth;

/// <summary>Holds a tenant to its concurrent-sandbox limit: counts its live sandboxes across the cluster plus the
/// creations this gateway has in flight, under a per-tenant lock, before a new sandbox is created.
/// (Two gateways creating for one tenant at the same instant may each pass once: the limit is per gateway exact.)</summary>
internal sealed class TenantSandboxQuota(IGrainFactory grains, LimitsOptions limits)
{
    private readonly ConcurrentDictionary<string, Gate> _gates = new(StringComparer.Ordinal);

    /// <summary>Reserves a slot for one new sandbox; dispose the reservation when the create has finished
    /// (the sandbox then counts itself). Throws <see cref="TenantLimitException"/> when the tenant is at its limit.</summary>
    public async Task<IDisposable> ReserveAsync(string tenant, CancellationToken cancellationToken)
    {
        var max = limits.For(tenant).MaxSandboxes ?? 0;
        var gate = _gates.GetOrAdd(tenant, _ => new Gate());
        if (max <= 0)
        {
            return gate.Enter();
        }

        await gate.Lock.WaitAsync(cancellationToken);
        try
        {
            var live = await grains.GetGrain<ISandboxFactoryGrain>(0).ListSandboxesAsync(null, tenant).WaitAsync(cancellationToken);
            if (live.Length + gate.InFlight >= max)
            {
                throw new TenantLimitException($"Tenant '{tenant}' already has {live.Length + gate.InFlight} sandboxes (its limit is {max}); kill one first.");
            }

            return gate.Enter();
        }
        finally
        {
            gate.Lock.Release();
        }
    }

    private sealed class Gate
    {
        private int _inFlight;

        public SemaphoreSlim Lock { get; } = new(1, 1);

        public int InFlight => Volatile.Read(ref _inFlight);

        public IDisposable Enter()
        {
            Interlocked.Increment(ref _inFlight);
            return new Reservation(this);
        }

        private sealed class Reservation(Gate gate) : IDisposable
        {
            private int _done;

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _done, 1) == 0)
                {
                    Interlocked.Decrement(ref gate._inFlight);
                }
            }
        }
    }
}

/// <summary>A tenant is at its concurrent-sandbox limit: 429 with Retry-After.</summary>
internal sealed class TenantLimitException(string message) : Exception(message)
{
    public string Code => GatewayErrorCodes.TenantSandboxLimit;
}
