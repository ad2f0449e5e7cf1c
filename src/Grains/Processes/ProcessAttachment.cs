using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace SoulBox.Grains.Processes;

/// <summary>One caller attached to a background process: the events on their way to it, bounded in bytes. The pump
/// never waits for a caller: output that does not fit is dropped for this caller alone (counted in
/// <see cref="DroppedBytes"/>), while Started and Exited always get through (two events per attachment).</summary>
internal sealed class ProcessAttachment(long maxBufferedBytes)
{
    /// <summary>What an event costs against the bound: its bytes plus a fixed overhead, so that a flood of tiny
    /// chunks is bounded too.</summary>
    private const int EventOverheadBytes = 256;

    private readonly Channel<ProcessEvent> _events = Channel.CreateUnbounded<ProcessEvent>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });

    private long _buffered;
    private long _dropped;

    /// <summary>Output bytes this caller lost because its buffer was full.</summary>
    public long DroppedBytes => Interlocked.Read(ref _dropped);

    /// <summary>Bytes waiting for the caller now (with the per-event overhead).</summary>
    public long BufferedBytes => Interlocked.Read(ref _buffered);

    /// <summary>Queues output unless the caller's buffer is full; false when it was dropped.</summary>
    public bool TryOffer(ProcessEvent output)
    {
        var cost = Cost(output);
        if (Interlocked.Add(ref _buffered, cost) > maxBufferedBytes)
        {
            Interlocked.Add(ref _buffered, -cost);
            Interlocked.Add(ref _dropped, output.Data?.Length ?? 0);
            return false;
        }

        if (!_events.Writer.TryWrite(output))
        {
            Interlocked.Add(ref _buffered, -cost);
            return false;
        }

        return true;
    }

    /// <summary>Queues Started or Exited, whatever the buffer holds.</summary>
    public void Write(ProcessEvent lifecycle)
    {
        if (_events.Writer.TryWrite(lifecycle))
        {
            Interlocked.Add(ref _buffered, Cost(lifecycle));
        }
    }

    /// <summary>Ends the caller's stream after what is queued; with <paramref name="error"/> it ends in that error.</summary>
    public void Complete(Exception? error = null) => _events.Writer.TryComplete(error);

    /// <summary>The caller's events, in order, until Complete.</summary>
    public async IAsyncEnumerable<ProcessEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reader = _events.Reader;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out var item))
            {
                Interlocked.Add(ref _buffered, -Cost(item));
                yield return item;
            }
        }
    }

    private static long Cost(ProcessEvent item) => (item.Data?.Length ?? 0) + EventOverheadBytes;
}
