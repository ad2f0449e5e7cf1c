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
}
