using System.Globalization;

namespace SoulBox.Grains.Containers;

/// <summary>Hands out the uid a container's user code runs as, unique on the host across every silo
/// that shares the lease directory.
///
/// Range: <see cref="FirstUid"/> … <see cref="FirstUid"/> + <see cref="UidCount"/> − 1, i.e.
/// 2,000,000,000 – 2,099,999,999: far above the ranges /etc/subuid hands out (100000 + 65536 per user)
/// and the uids of real accounts, and below 2^31 so no tool that keeps uids in a signed int trips.
/// Uniqueness matters because RLIMIT_NPROC is counted per uid across the whole host and a uid's
/// processes can signal each other: two sandboxes must never share one, even from two silos.
///
/// Leases: one file per uid, created with O_EXCL (<see cref="FileMode.CreateNew"/>) in a host-wide
/// directory, holding the container's name and the lease time. Released when the container is
/// removed. A lease left by a crashed silo is reclaimed when it is older than
/// <see cref="MinimumStaleAge"/> (a container is created well within that) and its container no
/// longer exists; the age check keeps a lease whose container is still being created safe.</summary>
internal sealed class SandboxUidAllocator(
    string leaseDirectory,
    TimeProvider time,
    Func<string, CancellationToken, Task<bool>> containerExists,
    Func<int>? nextIndex = null)
{
    // Random candidates: silos on one host do not probe the same uids in the same order.
    private readonly Func<int> _nextIndex = nextIndex ?? (() => Random.Shared.Next(UidCount));

    public const int FirstUid = 2_000_000_000;
    public const int UidCount = 100_000_000;
    public static readonly TimeSpan MinimumStaleAge = TimeSpan.FromMinutes(5);

    private const int Attempts = 64;

    public async Task<int> AcquireAsync(string containerName, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(leaseDirectory);
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var uid = FirstUid + (_nextIndex() % UidCount);
            if (TryCreate(uid, containerName) || (await TryReclaimAsync(uid, cancellationToken).ConfigureAwait(false) && TryCreate(uid, containerName)))
            {
                return uid;
            }
        }

        throw new InvalidOperationException($"No free sandbox uid after {Attempts} attempts in {leaseDirectory}.");
    }

    public void Release(int uid)
    {
        try
        {
            File.Delete(LeasePath(uid));
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Releases <paramref name="uid"/> only while its lease still names <paramref name="containerName"/>: a
    /// reaper frees the lease of a container another silo started, and must not free one a new container took since.</summary>
    public void ReleaseIfHeldBy(int uid, string containerName)
    {
        try
        {
            var lines = File.ReadAllLines(LeasePath(uid));
            if (lines.Length > 0 && lines[0] == containerName)
            {
                Release(uid);
            }
        }
        catch (IOException)
        {
        }
    }

    private bool TryCreate(int uid, string containerName)
    {
        try
        {
            using var stream = new FileStream(LeasePath(uid), FileMode.CreateNew, FileAccess.Write);
            using var writer = new StreamWriter(stream);
            writer.Write($"{containerName}\n{time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}\n");
            return true;
        }
        catch (IOException) when (File.Exists(LeasePath(uid)))
        {
            return false;
        }
    }

    /// <summary>Deletes the lease of <paramref name="uid"/> when it is stale; true when the uid is free now.</summary>
    private async Task<bool> TryReclaimAsync(int uid, CancellationToken cancellationToken)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(LeasePath(uid));
        }
        catch (FileNotFoundException)
        {
            return true;
        }

        if (lines.Length < 2 || !long.TryParse(lines[1], CultureInfo.InvariantCulture, out var leasedMs))
        {
            // Half-written by a silo that is creating it right now, or damaged: leave it alone.
            return false;
        }

        if (time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(leasedMs) < MinimumStaleAge
            || await containerExists(lines[0], cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        Release(uid);
        return true;
    }

    private string LeasePath(int uid) => Path.Combine(leaseDirectory, uid.ToString(CultureInfo.InvariantCulture));
}
