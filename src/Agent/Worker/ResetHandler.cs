using System.Globalization;
using SoulBox.Agent.Exec;
using SoulBox.Agent.Protocol;

namespace SoulBox.Agent.Worker;

/// <summary>Returns the sandbox to a clean state between one-shot runs: no kernel, and then, through
/// <c>soulbox-exec reset</c> (root, static, short-lived): no process of the sandbox user (killed in a
/// way that cannot be outrun), none of its SysV IPC objects or POSIX message queues, and empty work,
/// tmp and shared-memory directories that have their owner and mode back (a run may chmod 0 the work
/// directory it owns). The roots themselves stay: they are the container's tmpfs mounts.</summary>
internal sealed class ResetHandler(WorkerServices services)
{
    public async Task ResetAsync(IEventSink sink, CancellationToken cancellationToken)
    {
        await services.Kernels.StopAllAsync().ConfigureAwait(false);
        var options = services.Options;
        var args = new List<string>
        {
            "reset",
            "--uid", services.Launcher.Uid.ToString(CultureInfo.InvariantCulture),
            "--gid", services.Launcher.Gid.ToString(CultureInfo.InvariantCulture),
            "--work", services.Paths.WorkDirectory,
            "--tmp", services.Paths.TmpDirectory,
        };
        if (options.ShmDirectory is { } shm)
        {
            args.AddRange(["--shm", shm]);
        }

        // Docker mounts the container's own mqueue filesystem at /dev/mqueue; without one there is nothing to remove.
        if (options.MqueueDirectory is { } mqueue && Directory.Exists(mqueue))
        {
            args.AddRange(["--mqueue", mqueue]);
        }

        try
        {
            await HelperCommand.RunAsync(options.ExecHelperPath, args, cancellationToken).ConfigureAwait(false);
        }
        catch (HelperFailedException e)
        {
            throw new AgentException(AgentErrorCodes.Internal, e.Message);
        }

        AgentLog.Info("reset: kernels stopped; processes, IPC objects, work, tmp and shm cleared");
        await sink.SendAsync(new OkEvent()).ConfigureAwait(false);
    }
}
