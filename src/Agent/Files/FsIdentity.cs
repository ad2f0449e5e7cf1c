using SoulBox.Agent.Protocol;
using SoulBox.Agent.Worker;

namespace SoulBox.Agent.Files;

/// <summary>Runs a block of file-system calls as the sandbox user: <c>using var _ = FsIdentity.Become(uid, gid);</c>.
/// setfsuid/setfsgid change only the calling thread's file-system identity, and when the fsuid leaves 0 the
/// kernel clears CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER and CAP_FSETID from the thread's
/// effective set: permission checks are the user's, and what gets created is the user's with no chown.
/// It is a ref struct so the compiler refuses an await while it is alive (an await may resume on another
/// thread and leave this one, a pool thread, with the user's identity).</summary>
/// Where setfsuid does nothing (gVisor's runsc answers it without changing the identity) the thread's effective
/// uid and gid are switched instead, with the raw setresuid/setresgid system calls (per thread; real and saved ids
/// stay root's, so the thread switches back); the kernel clears and restores the same capabilities then.
internal readonly ref struct FsIdentity
{
    private static readonly Lazy<bool> FsUidWorks = new(ProbeFsUid);

    private readonly int _previousUid;
    private readonly int _previousGid;
    private readonly bool _effective;

    private FsIdentity(int previousUid, int previousGid, bool effective)
    {
        _previousUid = previousUid;
        _previousGid = previousGid;
        _effective = effective;
    }

    public static FsIdentity Become(int uid, int gid)
    {
        if (!FsUidWorks.Value)
        {
            return BecomeEffective(uid, gid);
        }

        var previousGid = FsCalls.SetFsGid(gid);
        var previousUid = FsCalls.SetFsUid(uid);
        // setfs*id report the previous value, never failure; asking with -1 (invalid, so no change) tells the current one.
        if (FsCalls.SetFsUid(-1) != uid || FsCalls.SetFsGid(-1) != gid)
        {
            new FsIdentity(previousUid, previousGid, effective: false).Dispose();
            throw new AgentException(AgentErrorCodes.Internal, $"The agent could not take the sandbox user's identity ({uid}:{gid}) for file access.");
        }

        return new FsIdentity(previousUid, previousGid, effective: false);
    }

    private static FsIdentity BecomeEffective(int uid, int gid)
    {
        var previousUid = FsCalls.ThreadEffectiveUid();
        var previousGid = FsCalls.ThreadEffectiveGid();
        // The gid first: changing it needs CAP_SETGID, which the thread loses once its euid is the user's.
        if (FsCalls.SetThreadEffectiveGid(gid) != 0 || FsCalls.SetThreadEffectiveUid(uid) != 0
            || FsCalls.ThreadEffectiveUid() != uid || FsCalls.ThreadEffectiveGid() != gid)
        {
            new FsIdentity(previousUid, previousGid, effective: true).Dispose();
            throw new AgentException(AgentErrorCodes.Internal, $"The agent could not take the sandbox user's identity ({uid}:{gid}) for file access.");
        }

        return new FsIdentity(previousUid, previousGid, effective: true);
    }

    public void Dispose()
    {
        bool restored;
        if (_effective)
        {
            // The uid first: back at euid 0 the thread has CAP_SETGID again for the gid.
            FsCalls.SetThreadEffectiveUid(_previousUid);
            FsCalls.SetThreadEffectiveGid(_previousGid);
            restored = FsCalls.ThreadEffectiveUid() == _previousUid && FsCalls.ThreadEffectiveGid() == _previousGid;
        }
        else
        {
            FsCalls.SetFsUid(_previousUid);
            FsCalls.SetFsGid(_previousGid);
            restored = FsCalls.SetFsUid(-1) == _previousUid && FsCalls.SetFsGid(-1) == _previousGid;
        }

        if (!restored)
        {
            // A pool thread stuck with the user's file identity would fail agent work at random later on.
            Environment.FailFast("soulbox-agent: could not restore the thread's file-system identity.");
        }
    }

    /// <summary>Whether setfsuid really changes this thread's file-system identity here (it does on Linux; gVisor's
    /// 2022 runsc answers without changing it). Probed once, with an id that is nobody's.</summary>
    private static bool ProbeFsUid()
    {
        const int probe = 65_534;
        var previous = FsCalls.SetFsUid(probe);
        var works = FsCalls.SetFsUid(-1) == probe;
        FsCalls.SetFsUid(previous);
        if (!works)
        {
            AgentLog.Info("setfsuid has no effect here (gVisor?): file operations switch the thread's effective uid instead");
        }

        return works;
    }

    /// <summary>Drops the agent's supplementary groups (root's, e.g. group 0) at start, so that a file
    /// operation run as the sandbox user is not also checked against them. Process-wide; best effort.</summary>
    public static bool DropSupplementaryGroups() => FsCalls.SetGroups(0, 0) == 0;
}
