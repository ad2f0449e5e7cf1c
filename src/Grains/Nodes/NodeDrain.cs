namespace SoulBox.Grains.Nodes;

/// <summary>What a drain should do next, given what is left on the node.</summary>
internal enum DrainStep
{
    /// <summary>Work is left and the deadline has not passed: look again shortly.</summary>
    Wait,

    /// <summary>The deadline passed with sandboxes still alive: end them (reason "drained").</summary>
    EndSandboxes,

    /// <summary>Nothing is left, or the deadline passed and only one-shot runs remain (no longer waited for).</summary>
    Done,
}

/// <summary>The drain state of this worker node: active → draining (from an admin call or shutdown, once) →
/// drained. Pure: no I/O, time from a <see cref="TimeProvider"/>, one lock; <see cref="NodeDrainer"/> does the
/// work and asks <see cref="Next"/> what comes next. One-shot runs are waited for only until the deadline: a run may
/// last up to SoulBox:Sandbox:MaxRunTimeoutMs, longer than any process supervisor waits for a stop.</summary>
internal sealed class NodeDrain(TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _started = new();

    public string State { get; private set; } = DrainStatus.Active;

    public string? Trigger { get; private set; }

    public DateTimeOffset? StartedAt { get; private set; }

    public DateTimeOffset? Deadline { get; private set; }

    public int SandboxesEnded { get; private set; }

    /// <summary>Whether the node refuses new work (draining or drained).</summary>
    public bool IsDraining => State != DrainStatus.Active;

    /// <summary>Cancelled when the drain begins (the warm pool stops refilling).</summary>
    public CancellationToken Started => _started.Token;

    /// <summary>Completes when the drain is done.</summary>
    public Task Completion => _done.Task;

    /// <summary>Begins draining with <paramref name="deadline"/> from now; false when a drain already began (its
    /// trigger and deadline stay).</summary>
    public bool TryBegin(TimeSpan deadline, string trigger)
    {
        lock (_lock)
        {
            if (IsDraining)
            {
                return false;
            }

            State = DrainStatus.Draining;
            Trigger = trigger;
            StartedAt = time.GetUtcNow();
            Deadline = StartedAt + deadline;
        }

        _started.Cancel();
        return true;
    }

    /// <summary>The next step with <paramref name="sandboxes"/> alive and <paramref name="oneShotRuns"/> running or queued.</summary>
    public DrainStep Next(int sandboxes, int oneShotRuns)
    {
        lock (_lock)
        {
            if (State != DrainStatus.Draining)
            {
                return State == DrainStatus.Drained ? DrainStep.Done : throw new InvalidOperationException("The node is not draining.");
            }

            if (sandboxes == 0 && oneShotRuns == 0)
            {
                return DrainStep.Done;
            }

            if (time.GetUtcNow() < Deadline)
            {
                return DrainStep.Wait;
            }

            return sandboxes > 0 ? DrainStep.EndSandboxes : DrainStep.Done;
        }
    }

    /// <summary>Time left until the deadline (zero once it passed).</summary>
    public TimeSpan Remaining
    {
        get
        {
            lock (_lock)
            {
                return Deadline is { } deadline && deadline > time.GetUtcNow() ? deadline - time.GetUtcNow() : TimeSpan.Zero;
            }
        }
    }

    public void CountEnded(int sandboxes)
    {
        lock (_lock)
        {
            SandboxesEnded += sandboxes;
        }
    }

    public void Complete()
    {
        lock (_lock)
        {
            State = DrainStatus.Drained;
        }

        _done.TrySetResult();
    }
}
