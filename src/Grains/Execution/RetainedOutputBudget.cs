using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using SoulBox.Grains.Hosting;

namespace SoulBox.Grains.Execution;

/// <summary>Bounds the output this node holds for the results of running code and commands: a run keeps what it
/// printed until it ends (the final result carries all of it), so many concurrent runs at a large output cap would
/// otherwise add up to gigabytes. Each run takes bytes from its tenant's share and from the node's as it keeps
/// them, and gives them back when it ends. A run that cannot take more keeps streaming but leaves the rest out of
/// its result (marked truncated): refusing the output would instead stall the run, and waiting for room could
/// deadlock runs that each hold part of it. One tenant at its share leaves the others theirs. The HTTP gateway
/// charges a finished result to the same account while it writes it to a slow caller (<see cref="Lease.Charge"/>):
/// a tenant whose answers pile up unread gets results without their output, not a node out of memory.</summary>
public sealed class RetainedOutputBudget(IOptions<SandboxOptions> options)
{
    private readonly long _perTenant = options.Value.MaxRetainedOutputBytesPerTenant;
    private readonly long _perNode = options.Value.MaxRetainedOutputBytesPerNode;
    private readonly ConcurrentDictionary<string, StrongBox<long>> _tenants = new(StringComparer.Ordinal);
    private long _node;

    /// <summary>Bytes held on this node now.</summary>
    public long Held => Interlocked.Read(ref _node);

    /// <summary>A run's account; dispose it when the run's result is built.</summary>
    public Lease Open(string? tenant) => new(this, _tenants.GetOrAdd(tenant ?? "", _ => new StrongBox<long>()));

    private bool TryTake(StrongBox<long> tenant, long bytes)
    {
        if (Interlocked.Add(ref _node, bytes) > _perNode)
        {
            Interlocked.Add(ref _node, -bytes);
            return false;
        }

        if (Interlocked.Add(ref tenant.Value, bytes) > _perTenant)
        {
            Interlocked.Add(ref tenant.Value, -bytes);
            Interlocked.Add(ref _node, -bytes);
            return false;
        }

        return true;
    }

    private void Return(StrongBox<long> tenant, long bytes)
    {
        Interlocked.Add(ref tenant.Value, -bytes);
        Interlocked.Add(ref _node, -bytes);
    }

    /// <summary>One run's bytes.</summary>
    public sealed class Lease : IDisposable
    {
        private readonly RetainedOutputBudget _budget;
        private readonly StrongBox<long> _tenant;
        private long _held;

        internal Lease(RetainedOutputBudget budget, StrongBox<long> tenant)
        {
            _budget = budget;
            _tenant = tenant;
        }

        /// <summary>Charges bytes that are already held (a result being written), even past the limits: the
        /// tenant's further runs then keep nothing until they are given back.</summary>
        public void Charge(long bytes)
        {
            Interlocked.Add(ref _tenant.Value, bytes);
            Interlocked.Add(ref _budget._node, bytes);
            _held += bytes;
        }

        public bool TryTake(long bytes)
        {
            if (!_budget.TryTake(_tenant, bytes))
            {
                return false;
            }

            _held += bytes;
            return true;
        }

        public void Dispose()
        {
            var held = Interlocked.Exchange(ref _held, 0);
            if (held > 0)
            {
                _budget.Return(_tenant, held);
            }
        }
    }
}
