using SoulBox.Agent.Protocol;
using SoulBox.Agent.Worker;

namespace SoulBox.Agent.Files;

/// <summary>Runs a block of file-system calls as the sandbox user: <c>using var _ = FsIdentity.Become(uid, gid);</c>.
/// setfsuid/setfsgid change only the calling thread's file-system identity, and when the fsuid leaves 0 the
/// kernel clears CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER and CAP_FSETID from the thread's
/// effective set: permission checks are the user's, and what gets created is the user's with no chown.
/// It is a ref struct so the compiler refuses an await while it is alive (an await may resume on another
/// thread and leave this one, a pool thread, with the user's identity).</summary>
internal readonly ref struct FsIdentity
{
    private readonly int _previousUid;
    private readonly int _previousGid;

    private FsIdentity(int previousUid, int previousGid)
    {
        _previousUid = previousUid;
        _previousGid = previousGid;
    }

    public static FsIdentity Become(int uid, int gid)
    {
        var previousGid = FsCalls.SetFsGid(gid);
        var previousUid = FsCalls.SetFsUid(uid);
        // setfs*id report the previous value, never failure; asking with -1 (invalid, so no change) tells the current one.
        if (FsCalls.SetFsUid(-1) != uid || FsCalls.SetFsGid(-1) != gid)
        {
            new FsIdentity(previousUid, previousGid).Dispose();
            throw new AgentException(AgentErrorCodes.Internal, $"The agent could not take the sandbox user's identity ({uid}:{gid}) for file access.");
        }

        return new FsIdentity(previousUid, previousGid);
    }

    public void Dispose()
    {
        FsCalls.SetFsUid(_previousUid);
        FsCalls.SetFsGid(_previousGid);
        if (FsCalls.SetFsUid(-1) != _previousUid || FsCalls.SetFsGid(-1) != _previousGid)
        {
            // A pool thread stuck with the user's file identity would fail agent work at random later on.
            Environment.FailFast("soulbox-agent: could not restore the thread's file-system identity.");
        }
    }

    /// <summary>Drops the agent's supplementary groups (root's, e.g. group 0) at start, so that a file
    /// operation run as the sandbox user is not also checked against them. Process-wide; best effort.</summary>
    public static bool DropSupplementaryGroups() => FsCalls.SetGroups(0, 0) == 0;
}
