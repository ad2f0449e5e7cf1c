using SoulBox.Agent.Protocol;
using SoulBox.Grains.AgentClient;

namespace SoulBox.Grains.Processes;

/// <summary>Consumes one background exec's events for as long as it runs, whoever is attached: taking every event at
/// once hands the agent its credit straight back, so the process never blocks on a full pipe while nobody reads it.
/// Runs on the thread pool; it ends when the exec ends, or fails when the agent does (sandbox killed: its connection
/// is disposed, which ends every pump of the sandbox).</summary>
internal static class ProcessPump
{
    public static async Task RunAsync(AgentConnection agent, ExecRequest exec, BackgroundProcess process, ProcessTable table)
    {
        ExitEvent? exit = null;
        try
        {
            await foreach (var frame in agent.StreamAsync(exec, default, CancellationToken.None).ConfigureAwait(false))
            {
                switch (frame.Header)
                {
                    case ExecStartedEvent started:
                        process.OnStarted(started.Pid);
                        table.Register(process);
                        break;
                    case OutputEvent output:
                        process.OnOutput(output.Stream == OutputStream.Stdout ? ProcessEventKind.Stdout : ProcessEventKind.Stderr, frame.Payload);
                        break;
                    case ExitEvent ended:
                        exit = ended;
                        break;
                }
            }
        }
        catch (Exception e)
        {
            table.Ended(process, null, e);
            return;
        }

        if (exit is null)
        {
            table.Ended(process, null, new AgentConnectionLostException("the agent ended an exec without an exit event"));
            return;
        }

        table.Ended(process, new ProcessExit
        {
            ExitCode = exit.ExitCode,
            Signal = exit.Signal,
            TimedOut = exit.TimedOut,
            WallTimeMs = exit.WallTimeMs,
        }, null);
    }
}
