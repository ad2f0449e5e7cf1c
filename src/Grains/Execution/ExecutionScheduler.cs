namespace SoulBox.Grains.Execution;

/// <summary>Hands out a node's one-shot execution slots fairly between tenants.
/// <para>A tenant may hold at most <c>min(TenantMax, max(1, slots / active tenants))</c> slots, where active
/// tenants are those running or waiting now; <c>TenantMax</c> (a share of the slots below all of them by default)
/// keeps slots free for a newcomer even while one tenant has the node to itself, because runs cannot be
/// preempted: without it a tenant's long runs would hold every slot until they end, however fair the queue.
/// Waiters are served round-robin across tenants (FIFO within a tenant), each only while under its share, so a
/// tenant with a deep queue cannot crowd out one with a single request.</para>
/// <para>Waits are bounded: a tenant may have at most <c>MaxQueuedPerTenant</c> waiters, and a waiter gives up
/// after <c>QueueTimeout</c>, then fails with <see cref="TenantShareExceededException"/> (429) when its tenant
/// held its share at that moment, or <see cref="NodeBusyException"/> (503) when the node was simply full.</para>
/// <para>Pure: no I/O, time from a <see cref="TimeProvider"/>; one lock guards all state (a handful of
/// operations per run, never held across an await).</para></summary>
internal sealed class ExecutionScheduler(int slots, int tenantMax, int maxQueuedPerTenant, TimeSpan queueTimeout, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, TenantQueue> _tenants = new(StringComparer.Ordinal);
    // Tenants that have waiters, in the order they are served next.
    private readonly LinkedList<TenantQueue> _order = new();
    private int _running;

    public int Slots => slots;

    public int Running
    {
        get
        {
            lock (_lock)
            {
                return _running;
            }
        }
    }

    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _tenants.Values.Sum(t => t.Waiters.Count);
            }
        }
    }

    /// <summary>Slots <paramref name="tenant"/> holds now.</summary>
    public int RunningOf(string tenant)
    {
        lock (_lock)
        {
            return _tenants.TryGetValue(tenant, out var state) ? state.Running : 0;
        }
    }

    /// <summary>What the retry hint says: a retry sooner than one whole wait would most likely meet the same queue.</summary>
    private int RetryAfterSeconds => Math.Max(1, (int)Math.Ceiling(queueTimeout.TotalSeconds));

    /// <summary>Waits for a slot for <paramref name="tenant"/>; dispose the returned lease to give it back.</summary>
    public Task<IDisposable> AcquireAsync(string tenant, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Waiter waiter;
        lock (_lock)
        {
            if (!_tenants.TryGetValue(tenant, out var state))
            {
                state = new TenantQueue(tenant);
                _tenants[tenant] = state;
            }

            waiter = new Waiter(state);
            state.Waiters.AddLast(waiter.Node);
            if (state.Waiters.Count == 1)
            {
                _order.AddLast(state.OrderNode);
            }

            Dispatch();
            if (waiter.Completion.Task.IsCompleted)
            {
                return waiter.Completion.Task;
            }

            // It has to wait: only if its tenant's queue has room (the queue bound counts waiters, not runs).
            if (state.Waiters.Count > maxQueuedPerTenant)
            {
                Unqueue(waiter);
                Forget(state);
                throw new TenantShareExceededException(
                    $"Tenant '{tenant}' already runs {state.Running} and waits for {state.Waiters.Count} one-shot executions on this node " +
                    $"(at most {maxQueuedPerTenant} may wait, SoulBox:Sandbox:MaxQueuedExecutionsPerTenant); retry later.",
                    RetryAfterSeconds);
            }

            waiter.Timer = time.CreateTimer(_ => Expire(waiter), null, queueTimeout, Timeout.InfiniteTimeSpan);
        }

        if (cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.Register(() => Cancel(waiter, cancellationToken));
            _ = waiter.Completion.Task.ContinueWith(_ => registration.Dispose(), TaskScheduler.Default);
        }

        return waiter.Completion.Task;
    }

    /// <summary>A slot for <paramref name="tenant"/> only if one is free now, nobody waits (an extra slot never jumps
    /// the queue) and the tenant stays within its share; else null. For the extra slots of a batch, whose cases
    /// may run in parallel but need not: it already holds one slot from <see cref="AcquireAsync"/>.</summary>
    public IDisposable? TryAcquire(string tenant)
    {
        lock (_lock)
        {
            if (_running >= slots || _order.First is not null)
            {
                return null;
            }

            if (!_tenants.TryGetValue(tenant, out var state))
            {
                state = new TenantQueue(tenant);
                _tenants[tenant] = state;
            }

            if (state.Running >= Share)
            {
                Forget(state);
                return null;
            }

            state.Running++;
            _running++;
            return new Lease(this, state);
        }
    }

    /// <summary>The most slots one tenant may hold with the tenants active (running or waiting) now.</summary>
    private int Share => Math.Min(tenantMax, Math.Max(1, slots / Math.Max(1, _tenants.Count)));

    /// <summary>Serves waiters while slots are free: each turn goes to the next tenant in round-robin order that
    /// is under its share, and that tenant moves to the back of the order.</summary>
    private void Dispatch()
    {
        while (_running < slots)
        {
            var candidate = _order.First;
            while (candidate is not null && candidate.Value.Running >= Share)
            {
                candidate = candidate.Next;
            }

            if (candidate is null)
            {
                return;
            }

            var state = candidate.Value;
            var waiter = state.Waiters.First!.Value;
            Unqueue(waiter);
            state.Running++;
            _running++;
            if (state.OrderNode.List is not null)
            {
                // Served: its next waiter goes to the back of the round.
                _order.Remove(state.OrderNode);
                _order.AddLast(state.OrderNode);
            }

            waiter.Completion.TrySetResult(new Lease(this, state));
        }
    }

    private void Unqueue(Waiter waiter)
    {
        // A tenant whose waiter gives up keeps its place in the round; one with no waiters leaves it.
        var state = waiter.Tenant;
        state.Waiters.Remove(waiter.Node);
        if (state.Waiters.Count == 0 && state.OrderNode.List is not null)
        {
            _order.Remove(state.OrderNode);
        }

        waiter.Timer?.Dispose();
    }

    private void Expire(Waiter waiter)
    {
        lock (_lock)
        {
            if (waiter.Node.List is null)
            {
                return; // Served or cancelled first.
            }

            var state = waiter.Tenant;
            var share = Share;
            Unqueue(waiter);
            Forget(state);
            Dispatch();
            var waited = queueTimeout.TotalSeconds;
            waiter.Completion.TrySetException(state.Running >= share
                ? new TenantShareExceededException(
                    $"Tenant '{state.Name}' holds {state.Running} one-shot execution slots on this node, its share now " +
                    $"(of {slots}, SoulBox:Sandbox:TenantExecutionShare), and none freed within {waited:0.#} s " +
                    "(SoulBox:Sandbox:ExecutionQueueTimeoutMs); retry later.",
                    RetryAfterSeconds)
                : new NodeBusyException(
                    $"All {slots} one-shot execution slots of this node stayed busy for {waited:0.#} s " +
                    "(SoulBox:Sandbox:ExecutionQueueTimeoutMs); retry later.",
                    RetryAfterSeconds));
        }
    }

    private void Cancel(Waiter waiter, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (waiter.Node.List is null)
            {
                return;
            }

            Unqueue(waiter);
            Forget(waiter.Tenant);
            Dispatch();
            waiter.Completion.TrySetCanceled(cancellationToken);
        }
    }

    private void Release(TenantQueue state)
    {
        lock (_lock)
        {
            state.Running--;
            _running--;
            Forget(state);
            Dispatch();
        }
    }

    /// <summary>A tenant with nothing running or waiting no longer counts as active (so the others' share grows).</summary>
    private void Forget(TenantQueue state)
    {
        if (state.Running == 0 && state.Waiters.Count == 0)
        {
            _tenants.Remove(state.Name);
        }
    }

    private sealed class TenantQueue
    {
        public TenantQueue(string name)
        {
            Name = name;
            OrderNode = new LinkedListNode<TenantQueue>(this);
        }

        public string Name { get; }

        public int Running { get; set; }

        public LinkedList<Waiter> Waiters { get; } = new();

        public LinkedListNode<TenantQueue> OrderNode { get; }
    }

    private sealed class Waiter
    {
        public Waiter(TenantQueue tenant)
        {
            Tenant = tenant;
            Node = new LinkedListNode<Waiter>(this);
        }

        public TenantQueue Tenant { get; }

        public LinkedListNode<Waiter> Node { get; }

        public TaskCompletionSource<IDisposable> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ITimer? Timer { get; set; }
    }

    private sealed class Lease(ExecutionScheduler scheduler, TenantQueue state) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                scheduler.Release(state);
            }
        }
    }
}
