using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SoulBox.Grains.Hosting;
using SoulBox.Grains.Sandboxes;

namespace SoulBox.Grains.Nodes;

/// <summary>Drains this worker node when an admin asks (<see cref="INodeGrain.DrainAsync"/>) or the host stops
/// (SIGTERM): the node refuses new sandboxes and one-shot runs (<see cref="NodeDrain"/>; placement skips it and
/// re-places what races in), waits for running one-shot runs and live sandboxes until SoulBox:Drain:DeadlineSeconds,
/// then ends the sandboxes still alive (reason "drained", containers removed).
/// <para>The shutdown drain runs in <see cref="StoppingAsync"/>, which the host calls before any hosted service's
/// StopAsync: the Orleans silo and the HTTP server keep serving the work being finished (existing sandboxes, a
/// one-shot caller waiting for its result) until the drain is done. An admin drain stops the process when it is
/// done (unless SoulBox:Drain:ExitWhenDrained is off), so a supervisor's restart makes a rolling restart.</para></summary>
internal sealed partial class NodeDrainer(
    NodeDrain drain,
    SandboxRegistry registry,
    ExecutorPool executors,
    IGrainFactory grains,
    NodeIdentity node,
    IOptions<DrainOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<NodeDrainer> logger) : IHostedLifecycleService
{
    public const string AdminTrigger = "admin";
    public const string ShutdownTrigger = "shutdown";

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan EndTimeout = TimeSpan.FromSeconds(30);

    public DrainStatus Status() => new()
    {
        Node = node.Name,
        State = drain.State,
        Trigger = drain.Trigger,
        StartedAt = drain.StartedAt,
        Deadline = drain.Deadline,
        Sandboxes = registry.Count,
        OneShotRuns = executors.RunningExecutions + executors.WaitingExecutions,
        SandboxesEnded = drain.SandboxesEnded,
    };

    /// <summary>Begins the drain (once; later calls return the drain under way).</summary>
    public DrainStatus Begin(string trigger)
    {
        var deadline = TimeSpan.FromSeconds(options.Value.DeadlineSeconds);
        if (drain.TryBegin(deadline, trigger))
        {
            LogBegun(node.Name, trigger, registry.Count, executors.RunningExecutions + executors.WaitingExecutions, deadline.TotalSeconds);
            _ = Task.Run(() => RunAsync(trigger));
        }

        return Status();
    }

    private async Task RunAsync(string trigger)
    {
        try
        {
            while (true)
            {
                var step = drain.Next(registry.Count, executors.RunningExecutions + executors.WaitingExecutions);
                if (step == DrainStep.Done)
                {
                    break;
                }

                if (step == DrainStep.EndSandboxes)
                {
                    await EndSandboxesAsync();
                    continue;
                }

                await Task.Delay(Poll, time);
            }
        }
        catch (Exception e)
        {
            LogFailed(e, node.Name);
        }
        finally
        {
            var cut = executors.RunningExecutions + executors.WaitingExecutions;
            drain.Complete();
            LogDrained(node.Name, drain.SandboxesEnded, cut);
        }

        if (trigger == AdminTrigger && options.Value.ExitWhenDrained)
        {
            lifetime.StopApplication();
        }
    }

    private async Task EndSandboxesAsync()
    {
        var reason = $"drained: node '{node.Name}' was drained and its deadline of {options.Value.DeadlineSeconds} s passed";
        var live = registry.Live.Select(s => s.Id).ToList();
        await Task.WhenAll(live.Select(async id =>
        {
            try
            {
                await grains.GetGrain<IDrainableSandboxGrain>(id).EndDrainedAsync(reason).WaitAsync(EndTimeout);
            }
            catch (Exception e)
            {
                LogEndFailed(e, id);
                // It must not hold the drain up: its container goes with the node's shutdown in any case.
                registry.End(id, SandboxEnd.Drained, reason);
            }
        }));
        drain.CountEnded(live.Count);
    }

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        Begin(ShutdownTrigger);
        try
        {
            await drain.Completion.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            LogShutdownCut(node.Name);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(1, LogLevel.Warning, "Node {Node} is draining ({Trigger}): {Sandboxes} sandboxes and {Runs} one-shot runs left, deadline in {DeadlineSeconds} s")]
    private partial void LogBegun(string node, string trigger, int sandboxes, int runs, double deadlineSeconds);

    [LoggerMessage(2, LogLevel.Warning, "Node {Node} is drained: {Ended} sandboxes ended at the deadline, {Cut} one-shot runs not waited for")]
    private partial void LogDrained(string node, int ended, int cut);

    [LoggerMessage(3, LogLevel.Error, "Draining node {Node} failed")]
    private partial void LogFailed(Exception exception, string node);

    [LoggerMessage(4, LogLevel.Warning, "Ending sandbox {SandboxId} at the drain deadline failed")]
    private partial void LogEndFailed(Exception exception, string sandboxId);

    [LoggerMessage(5, LogLevel.Error, "Node {Node}: the host's shutdown timeout passed before the drain was done")]
    private partial void LogShutdownCut(string node);
}
