using SoulBox.Agent.Exec;
using SoulBox.Agent.Protocol;

namespace SoulBox.Agent.Worker;

/// <summary>Returns the sandbox to a clean state between one-shot runs: no process of the sandbox
/// user, no kernel, empty work and tmp directories (the directories themselves stay).</summary>
internal sealed class ResetHandler(WorkerServices services)
{
    public async Task ResetAsync(IEventSink sink)
    {
        await services.Kernels.StopAllAsync().ConfigureAwait(false);
        await ProcessTree.KillUserAsync(services.Launcher.Uid).ConfigureAwait(false);
        Empty(services.Paths.WorkDirectory);
        Empty(services.Paths.TmpDirectory);
        AgentLog.Info("reset: processes killed, kernels stopped, work and tmp emptied");
        await sink.SendAsync(new OkEvent()).ConfigureAwait(false);
    }

    private static void Empty(string directory)
    {
        foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos())
        {
            // A symlink is removed as a link, never followed.
            if (entry is DirectoryInfo subdirectory && entry.LinkTarget is null)
            {
                subdirectory.Delete(recursive: true);
            }
            else
            {
                entry.Delete();
            }
        }
    }
}
