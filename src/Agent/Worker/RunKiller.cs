using System.Diagnostics;
using SoulBox.Agent.Exec;

namespace SoulBox.Agent.Worker;

/// <summary>Kills one run (an exec or a kernel) when it times out, is cancelled or is stopped.
/// In a one-shot executor everything of the sandbox uid belongs to the run, so it is killed with
/// <c>soulbox-exec killuser</c> (setuid + kill(-1), which cannot be outrun by a process that keeps
/// forking and calling setsid). In a live sandbox that would also kill its kernels and background
/// commands, so there the run's tree is killed through its subreaper helper until it is empty; a
/// tree that outruns that within <see cref="Grace"/> is reported (the caller answers kill_failed and
/// the silo gives the sandbox up as lost) instead of hanging the caller.</summary>
internal static class RunKiller
{
    /// <summary>How long a kill may take before the run is reported as unkillable.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(2);

    /// <summary>True when the run's helper has exited (so nothing of the run is left).</summary>
    public static async Task<bool> KillAsync(WorkerServices services, SandboxProcess process)
    {
        if (!services.Options.Executor)
        {
            return await process.KillAndWaitAsync(Grace).ConfigureAwait(false);
        }

        var clock = Stopwatch.StartNew();
        string[] args =
        [
            "killuser",
            "--uid", services.Launcher.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--gid", services.Launcher.Gid.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ];
        // killuser returns once no process of the uid is alive; the run's helper (root) then reaps its
        // child and exits. Repeat in case the kill landed before the helper had forked the program.
        while (!process.HasExited && clock.Elapsed < Grace + Grace)
        {
            try
            {
                using var bounded = new CancellationTokenSource(Grace + Grace);
                await HelperCommand.RunAsync(services.Options.ExecHelperPath, args, bounded.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HelperFailedException or OperationCanceledException)
            {
                AgentLog.Info($"killuser: {e.Message}");
            }

            using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            try
            {
                await process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        return process.HasExited;
    }
}
