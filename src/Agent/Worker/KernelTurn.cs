using System.Text.Json;
using SoulBox.Agent.Protocol;

namespace SoulBox.Agent.Worker;

/// <summary>One run on a kernel (or its start-up): routes the kernel's output to the caller within
/// the per-stream cap, and its rich results within <see cref="AgentProtocol.MaxResultBytes"/> each and
/// <see cref="AgentProtocol.MaxRunResultBytes"/> together, and completes when both streams reached their end-of-run
/// marker.</summary>
internal sealed class KernelTurn(
    Func<OutputStream, ReadOnlyMemory<byte>, bool, ValueTask>? emit,
    long maxOutputBytesPerStream,
    Func<ReadOnlyMemory<byte>, bool, ValueTask>? emitResult = null)
{
    // Continuations run on the pump that saw the last marker: the run's result goes out from there without another
    // thread-pool hop. That is safe because the turn is completed outside its lock and the pump holds nothing then.
    private readonly TaskCompletionSource<KernelReply> _completion = new();
    private readonly Lock _markers = new();
    private readonly SemaphoreSlim _emitLock = new(1, 1);
    private readonly long[] _sent = new long[2];
    private readonly bool[] _truncated = new bool[2];
    private long _resultBytes;
    private KernelReply? _reply;
    private bool _stderrDone;
    private bool _closed;

    public Task<KernelReply> Completion => _completion.Task;

    /// <summary>The run's number on its kernel (0 = start-up); only markers naming it end this turn.</summary>
    public long Number { get; set; }

    public bool StdoutTruncated => _truncated[(int)OutputStream.Stdout];

    public bool StderrTruncated => _truncated[(int)OutputStream.Stderr];

    /// <summary>What the turn saw on stderr when it has no caller (start-up), for error messages.</summary>
    public MemoryStream UnclaimedStderr { get; } = new();

    /// <summary>Passes output on; <paramref name="flush"/> false when this turn's end was read right behind it.</summary>
    public async ValueTask OutputAsync(OutputStream stream, ReadOnlyMemory<byte> chunk, bool flush = true)
    {
        await _emitLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_closed)
            {
                return;
            }

            if (emit is null)
            {
                if (stream == OutputStream.Stderr && UnclaimedStderr.Length < 64 * 1024)
                {
                    UnclaimedStderr.Write(chunk.Span);
                }

                return;
            }

            var index = (int)stream;
            var allowed = (int)Math.Min(chunk.Length, Math.Max(0, maxOutputBytesPerStream - _sent[index]));
            if (allowed < chunk.Length)
            {
                _truncated[index] = true;
            }

            if (allowed > 0)
            {
                _sent[index] += allowed;
                await emit(stream, chunk[..allowed], flush).ConfigureAwait(false);
            }
        }
        finally
        {
            _emitLock.Release();
        }
    }

    /// <summary>A rich result the kernel sent during the run (its JSON {mime: content}), or null when it was larger
    /// than the scanner keeps. The kernel holds itself to the same limits and says so on stderr; these checks are
    /// what holds when user code writes result markers itself.</summary>
    public async ValueTask ResultAsync(byte[]? json, bool flush = true)
    {
        string? dropped = null;
        await _emitLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_closed || emitResult is null)
            {
                return;
            }

            if (json is null || json.Length > AgentProtocol.MaxResultBytes)
            {
                dropped = $"soulbox: a result was dropped: one result may be at most {AgentProtocol.MaxResultBytes} bytes\n";
            }
            else if (_resultBytes + json.Length > AgentProtocol.MaxRunResultBytes)
            {
                dropped = $"soulbox: a result was dropped: a run's results may be at most {AgentProtocol.MaxRunResultBytes} bytes together\n";
            }
            else
            {
                _resultBytes += json.Length;
                await emitResult(json, flush).ConfigureAwait(false);
            }
        }
        finally
        {
            _emitLock.Release();
        }

        if (dropped is not null)
        {
            await OutputAsync(OutputStream.Stderr, System.Text.Encoding.UTF8.GetBytes(dropped)).ConfigureAwait(false);
        }
    }

    /// <summary>The stdout marker: the reply, or null when it exceeded the scanner's bound.</summary>
    public void StdoutMarker(byte[]? replyJson)
    {
        KernelReply reply;
        try
        {
            reply = replyJson is null
                ? new KernelReply(false, null, new KernelError("ReplyTooLargeError",
                    $"The run's result is larger than {KernelOutputScanner.MaxReplyBytes} bytes and was dropped.", ""))
                : JsonSerializer.Deserialize(replyJson, KernelJsonContext.Default.KernelReply) ?? throw new JsonException("null reply");
        }
        catch (JsonException e)
        {
            reply = new KernelReply(false, null, new KernelError("KernelError", $"Unreadable kernel reply: {e.Message}", ""));
        }

        KernelReply? complete;
        lock (_markers)
        {
            _reply = reply;
            complete = Completed();
        }

        Complete(complete);
    }

    public void StderrMarker()
    {
        KernelReply? complete;
        lock (_markers)
        {
            _stderrDone = true;
            complete = Completed();
        }

        Complete(complete);
    }

    /// <summary>Called by a pump as it ends: the caller's clean-up waits for the pumps, so it must not run on one.</summary>
    public void Fail(Exception exception) =>
        ThreadPool.UnsafeQueueUserWorkItem(state => state.TrySetException(exception), _completion, preferLocal: false);

    /// <summary>After this no output reaches the caller (its terminal event may already be sent).</summary>
    public async Task CloseAsync()
    {
        await _emitLock.WaitAsync().ConfigureAwait(false);
        _closed = true;
        _emitLock.Release();
    }

    private KernelReply? Completed() => _stderrDone ? _reply : null;

    private void Complete(KernelReply? reply)
    {
        if (reply is not null)
        {
            _completion.TrySetResult(reply);
        }
    }
}
