using System.Diagnostics;
using Orleans.Runtime;

namespace SoulBox.Grains;

/// <summary>Turns "the node holding this sandbox stopped answering" into the sandbox's fate. A call in flight when its
/// worker dies (kill -9, host down) fails with the transport's error (SiloUnavailableException or a message rejection,
/// an HTTP 503): it does not say whether the sandbox is gone, only that its node was not reachable that moment. So
/// the failed call asks the sandbox again, with a read that is safe to repeat, until membership decides: once the node
/// is declared dead the sandbox activates off its node and answers "lost", which the caller then gets
/// (<see cref="SandboxLostException"/>, HTTP 409 sandbox_lost); if the node answers again it was a blip and the
/// original error stands (the call's effect is unknown, so it is not repeated). A call that could not even be
/// addressed while a dead silo's grain directory range had no owner yet fails with a cancellation; it is treated the
/// same way, and a read of the sandbox's info gets its answer once the directory has recovered. Asking gives up after
/// <see cref="VerdictWait"/>, longer than any membership timeout SoulBox configures. Installed on silos (the HTTP
/// gateway's calls) and on the .NET client.</summary>
public sealed class SandboxLossFilter(IGrainFactory grains) : IOutgoingGrainCallFilter
{
    /// <summary>Longest wait for membership's verdict on an unreachable node.</summary>
    public static readonly TimeSpan VerdictWait = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan AskEvery = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    // The filter's own asking goes through the filter too; it must not wait on itself.
    private static readonly AsyncLocal<bool> Asking = new();

    /// <summary>Passes the call on; when a sandbox call fails because its node was unreachable, waits for the verdict.</summary>
    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        // A create that cannot reach its node has no sandbox to lose: the factory places it elsewhere.
        if (context.Grain is not ISandboxGrain || Asking.Value || context.InterfaceMethod?.Name == nameof(ISandboxGrain.CreateAsync))
        {
            await context.Invoke();
            return;
        }

        try
        {
            await context.Invoke();
        }
        catch (Exception e) when (IsUnreachable(e) || e is OperationCanceledException && !CallerCancelled(context))
        {
            var sandboxId = context.TargetId.Key.ToString() ?? "";
            var (info, lostReason) = await AwaitVerdictAsync(sandboxId);
            if (lostReason is not null)
            {
                throw new SandboxLostException(sandboxId, lostReason);
            }

            // A read that failed before reaching the sandbox (its grain directory range was between owners while a
            // silo died) has its answer now; any other call's effect is unknown, so its error stands.
            if (info is not null && context.InterfaceMethod?.Name == nameof(ISandboxGrain.GetInfoAsync))
            {
                context.Result = info;
                return;
            }

            throw;
        }
    }

    private async Task<(SandboxInfo? Info, string? LostReason)> AwaitVerdictAsync(string sandboxId)
    {
        Asking.Value = true;
        var sandbox = grains.GetGrain<ISandboxGrain>(sandboxId);
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < VerdictWait)
        {
            try
            {
                return (await sandbox.GetInfoAsync().WaitAsync(AskTimeout), null);
            }
            catch (SandboxLostException lost)
            {
                return (null, lost.Message.Split(": ", 2) is [_, var reason] ? reason : "its node left the cluster");
            }
            catch (Exception e) when (IsUnreachable(e) || e is TimeoutException or OperationCanceledException)
            {
                await Task.Delay(AskEvery);
            }
            catch (SoulBoxException)
            {
                // Killed, expired, not found: the sandbox's own answer, not the node's absence; the call's error stands.
                return (null, null);
            }
        }

        return (null, null);
    }

    /// <summary>Whether the call was cancelled by its caller (then its cancellation is the answer, not a fault).</summary>
    private static bool CallerCancelled(IOutgoingGrainCallContext context)
    {
        for (var i = 0; i < context.Request.GetArgumentCount(); i++)
        {
            if (context.Request.GetArgument(i) is CancellationToken { IsCancellationRequested: true })
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsUnreachable(Exception e) => e is SiloUnavailableException or OrleansMessageRejectionException;
}
