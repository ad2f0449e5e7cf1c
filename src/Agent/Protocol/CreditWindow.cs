namespace SoulBox.Agent.Protocol;

/// <summary>The sending side of one request's credit (the agent): streaming events take credit before they are
/// written and wait while there is none; <see cref="Grant"/> (a CreditRequest from the silo) gives it back.
/// A wait ends without taking credit when either token is cancelled or the window is closed (the request ended
/// or its connection closed): the caller then drops the event instead of writing past the window.</summary>
public sealed class CreditWindow
{
    private readonly Lock _lock = new();
    private readonly int _size;
    private long _available;
    private TaskCompletionSource? _changed;
    private bool _closed;

    public CreditWindow(int size = AgentProtocol.CreditWindowBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        _size = size;
        _available = size;
    }

    /// <summary>Credit available now.</summary>
    public long Available
    {
        get
        {
            lock (_lock)
            {
                return _available;
            }
        }
    }

    /// <summary>Takes <paramref name="cost"/> of credit (at most the whole window), waiting for it when needed.
    /// Returns false, taking nothing, when a token is cancelled or the window is closed first. Completes
    /// synchronously and allocates nothing while credit is there (the hot path of small outputs).</summary>
    public ValueTask<bool> TakeAsync(int cost, CancellationToken cancellationToken, CancellationToken otherToken = default)
    {
        var need = Math.Min(cost, _size);
        lock (_lock)
        {
            if (_closed)
            {
                return ValueTask.FromResult(false);
            }

            if (_available >= need)
            {
                _available -= need;
                return ValueTask.FromResult(true);
            }
        }

        return WaitAsync(need, cancellationToken, otherToken);
    }

    /// <summary>Gives credit back. More than the window is never held, whatever the silo sends.</summary>
    public void Grant(int bytes)
    {
        if (bytes <= 0)
        {
            return;
        }

        TaskCompletionSource? changed;
        lock (_lock)
        {
            _available = Math.Min(_size, _available + bytes);
            changed = _changed;
            _changed = null;
        }

        changed?.TrySetResult();
    }

    /// <summary>Ends every wait (they return false) and refuses credit from now on.</summary>
    public void Close()
    {
        TaskCompletionSource? changed;
        lock (_lock)
        {
            _closed = true;
            changed = _changed;
            _changed = null;
        }

        changed?.TrySetResult();
    }

    private async ValueTask<bool> WaitAsync(int need, CancellationToken cancellationToken, CancellationToken otherToken)
    {
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (_closed)
                {
                    return false;
                }

                if (_available >= need)
                {
                    _available -= need;
                    return true;
                }

                // Every waiter (a request may have two: stdout and stderr) wakes on each change and tries again.
                _changed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                changed = _changed.Task;
            }

            if (cancellationToken.IsCancellationRequested || otherToken.IsCancellationRequested)
            {
                return false;
            }

            try
            {
                await (otherToken.CanBeCanceled ? changed.WaitAsync(cancellationToken).WaitAsync(otherToken) : changed.WaitAsync(cancellationToken)).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }
}
