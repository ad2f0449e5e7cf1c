using System.Runtime.CompilerServices;
using SoulBox.Agent.Protocol;
using SoulBox.Grains.AgentClient;

namespace SoulBox.Grains.Execution;

/// <summary>Runs one process through the agent and turns its frames into <see cref="RunEvent"/>s: output as it
/// arrives, then one final event with the <see cref="CommandResult"/>.</summary>
internal static class AgentExec
{
    public static async IAsyncEnumerable<RunEvent> StreamAsync(
        AgentConnection agent,
        ExecRequest request,
        byte[]? stdin,
        Func<long> readOomKills,
        RetainedOutputBudget.Lease? budget,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var collector = new OutputCollector(request.Limits.MaxOutputBytesPerStream, budget);
        var oomBefore = readOomKills();
        ExitEvent? exit = null;
        await foreach (var frame in agent.StreamAsync(request, stdin ?? default(ReadOnlyMemory<byte>), cancellationToken).ConfigureAwait(false))
        {
            switch (frame.Header)
            {
                case OutputEvent output when collector.Add(output.Stream, frame.Payload) is { } chunk:
                    yield return chunk;
                    break;
                case ExitEvent e:
                    exit = e;
                    break;
            }
        }

        if (exit is null)
        {
            throw new AgentConnectionLostException("the agent ended an exec without an exit event");
        }

        // The agent's own truncation flags, or the collector's where it kept less than the agent sent.
        exit = exit with
        {
            StdoutTruncated = exit.StdoutTruncated || collector.StdoutTruncated,
            StderrTruncated = exit.StderrTruncated || collector.StderrTruncated,
        };
        yield return new RunEvent { CommandResult = RunOutcome.ToCommandResult(exit, collector.Stdout, collector.Stderr, readOomKills() > oomBefore) };
    }

    /// <summary>Runs to the end and returns the result, passing output events to <paramref name="onOutput"/>.</summary>
    public static Task<CommandResult> RunAsync(
        AgentConnection agent,
        ExecRequest request,
        byte[]? stdin,
        Func<long> readOomKills,
        Func<RunEvent, ValueTask>? onOutput,
        CancellationToken cancellationToken) =>
        RunEvents.FinalAsync(StreamAsync(agent, request, stdin, readOomKills, null, cancellationToken), e => e.CommandResult, onOutput);

    /// <summary>Runs with <paramref name="stdin"/> streamed to the agent in chunks of at most
    /// <paramref name="chunkBytes"/> (the first with the exec, the rest as <see cref="StdinRequest"/>s), each sent only
    /// once the agent has written the one before into the process's pipe: an input of any size crosses the agent's
    /// frame limit and never piles up in the sandbox's memory. A program that stops reading ends the feed when it
    /// exits (the agent then answers the waiting chunk); input it never read is dropped, as a pipe would.</summary>
    public static async Task<CommandResult> RunWithStreamedStdinAsync(
        AgentConnection agent,
        ExecRequest request,
        Stream stdin,
        int chunkBytes,
        Func<long> readOomKills,
        CancellationToken cancellationToken)
    {
        var first = await ReadChunkAsync(stdin, chunkBytes, cancellationToken).ConfigureAwait(false);
        if (first.Length < chunkBytes)
        {
            // The whole input fits the exec's own frame.
            return await RunAsync(agent, request, first, readOomKills, null, cancellationToken).ConfigureAwait(false);
        }

        var id = agent.ReserveId();
        // Calling it sends the exec frame (or queues it on the connection's write lock, whose waiters go in order)
        // before the feed below sends its first StdinRequest, which must come after the exec it targets.
        var run = RunEvents.FinalAsync(StreamAsync(agent, request with { Id = id, KeepStdinOpen = true }, first, readOomKills, null, cancellationToken), e => e.CommandResult);
        using var feedStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var feed = FeedAsync(agent, id, stdin, chunkBytes, feedStop.Token);
        try
        {
            return await run.ConfigureAwait(false);
        }
        finally
        {
            await feedStop.CancelAsync().ConfigureAwait(false);
            try
            {
                await feed.ConfigureAwait(false);
            }
            catch (Exception e) when (e is AgentErrorException or OperationCanceledException)
            {
                // The exec ended before its input did (not_found, or stdin already closed): nothing to feed.
            }
        }
    }

    /// <summary>Sends the rest of the input, reading one chunk ahead so the last one carries the close (an input of a
    /// whole number of chunks ends with an empty closing one).</summary>
    private static async Task FeedAsync(AgentConnection agent, long execId, Stream stdin, int chunkBytes, CancellationToken cancellationToken)
    {
        var current = await ReadChunkAsync(stdin, chunkBytes, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var next = current.Length == chunkBytes ? await ReadChunkAsync(stdin, chunkBytes, cancellationToken).ConfigureAwait(false) : [];
            var last = next.Length == 0;
            await agent.RequestAsync(new StdinRequest(execId, Close: last) { WaitWritten = true }, cancellationToken, current).ConfigureAwait(false);
            if (last)
            {
                return;
            }

            current = next;
        }
    }

    private static async Task<byte[]> ReadChunkAsync(Stream stream, int chunkBytes, CancellationToken cancellationToken)
    {
        var buffer = new byte[chunkBytes];
        var read = await stream.ReadAtLeastAsync(buffer, chunkBytes, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        return read == chunkBytes ? buffer : buffer[..read];
    }
}
