using System.Diagnostics;
using Orleans.Runtime;

namespace SoulBox.Grains;

/// <summary>Turns "the node holding this sandbox stopped answering" into the sandbox's fate. A call in flight when its
/// worker dies (kill -9, host down) fails with the transport's error (SiloUnavailableException or a message rejection,
/// an HTTP 503): it does not say whether the sandbox is gone, only that its node was not reachable that moment. So
/// the failed call asks the sandbox again, with a read that is safe to repeat, until membership decides: once the node
/// is declared dead the sandbox activates off its node and answers "lost", which the caller then gets
/// (<see cref="SandboxLostException"/>, HTTP 409 sandbox_lost); if the node answers again it was a blip and the
/// original error stands (the call's effect is unknown, so it is not repeated). Asking gives up after
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
        catch (Exception e) when (IsUnreachable(e))
        {
            var sandboxId = context.TargetId.Key.ToString() ?? "";
            if (await IsLostAsync(sandboxId) is { } reason)
            {
                throw new SandboxLostException(sandboxId, reason);
            }

            throw;
        }
    }

    private async Task<string?> IsLostAsync(string sandboxId)
    {
        Asking.Value = true;
        var sandbox = grains.GetGrain<ISandboxGrain>(sandboxId);
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < VerdictWait)
        {
            try
            {
                await sandbox.GetInfoAsync().WaitAsync(AskTimeout);
                return null;
            }
            catch (SandboxLostException lost)
            {
                return lost.Message.Split(": ", 2) is [_, var reason] ? reason : "its node left the cluster";
            }
            catch (Exception e) when (IsUnreachable(e) || e is TimeoutException)
            {
                await Task.Delay(AskEvery);
            }
            catch (SoulBoxException)
            {
                // Killed, expired, not found: the sandbox's own answer, not the node's absence; the call's error stands.
                return null;
            }
        }

        return null;
    }

    private static bool IsUnreachable(Exception e) => e is SiloUnavailableException or OrleansMessageRejectionException;
}
