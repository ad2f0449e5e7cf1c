namespace SoulBox.Agent.Exec;

/// <summary>Copies a process output pipe to a consumer chunk by chunk as bytes arrive, up to a cap;
/// past the cap it calls <c>onCapReached</c> once (the caller ends the run) and keeps draining (a blocked writer
/// would never exit) and drops the bytes.
/// The consumer applies back-pressure: while it waits (for the silo's credit) the pipe is not read, so the
/// process blocks on a full pipe instead of its output piling up anywhere.</summary>
internal static class OutputPump
{
    /// <summary>32 KiB: the silo turns each chunk into text of twice its size, which stays below .NET's large-object
    /// threshold (85 000 bytes) at this size, so a flood of output is cheap young garbage there, not a swollen heap.</summary>
    public const int ChunkBytes = 32 * 1024;

    /// <summary>Returns true when output was dropped because of <paramref name="maxBytes"/>.</summary>
    public static async Task<bool> PumpAsync(Stream source, long maxBytes, Func<ReadOnlyMemory<byte>, ValueTask> emit, CancellationToken cancellationToken, Action? onCapReached = null)
    {
        var buffer = new byte[ChunkBytes];
        long sent = 0;
        var truncated = false;
        while (true)
        {
            int read;
            try
            {
                read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
            {
                return truncated;
            }

            if (read == 0)
            {
                return truncated;
            }

            var allowed = (int)Math.Min(read, Math.Max(0, maxBytes - sent));
            var reachedNow = allowed < read && !truncated;
            truncated |= allowed < read;
            if (allowed > 0)
            {
                sent += allowed;
                await emit(buffer.AsMemory(0, allowed)).ConfigureAwait(false);
            }

            if (reachedNow)
            {
                onCapReached?.Invoke();
            }
        }
    }
}
