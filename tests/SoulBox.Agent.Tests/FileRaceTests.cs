using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using SoulBox.Agent.Protocol;
using Xunit.Abstractions;

namespace SoulBox.Agent.Tests;

/// <summary>The time-of-check/time-of-use attack on the files API, as issue 7 describes it: user code swaps
/// a directory <c>d</c> with a symlink <c>l</c> to a directory outside the sandbox (renameat2 RENAME_EXCHANGE
/// in a tight loop) while the agent is asked to write, make directories in, remove and read <c>d/...</c>.
/// Two canaries: one owned by root (what the attack wanted: root writing where the user may not) and one
/// owned by the sandbox user, which the user's own identity would not protect, so only confinement does.</summary>
public sealed class FileRaceTests(AgentFixture agent, ITestOutputHelper output) : IClassFixture<AgentFixture>
{
    private static readonly TimeSpan RaceDuration = TimeSpan.FromSeconds(12);

    // d1 <-> l1 -> root's canary, d2 <-> l2 -> the user's canary; runs as the sandbox uid through the agent.
    private const string SwapLoop = """
        import ctypes, os, sys, time
        libc = ctypes.CDLL(None, use_errno=True)
        AT_FDCWD, RENAME_EXCHANGE, SYS_renameat2 = -100, 2, 316
        pairs = [(b"d1", b"l1"), (b"d2", b"l2")]
        os.symlink(sys.argv[2], "l1")
        os.symlink(sys.argv[3], "l2")
        print("ready", flush=True)
        end, swaps = time.monotonic() + float(sys.argv[1]), 0
        while time.monotonic() < end:
            for _ in range(500):
                for a, b in pairs:
                    if libc.syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) == 0:
                        swaps += 1
        print(swaps, flush=True)
        """;

    // Answers a raced request may get: the path was a directory, a symlink out (refused) or in between.
    private static readonly string[] ExpectedErrors =
    [
        AgentErrorCodes.PathEscape, AgentErrorCodes.NotFound, AgentErrorCodes.NotDirectory,
        AgentErrorCodes.AlreadyExists, AgentErrorCodes.DirectoryNotEmpty,
    ];

    [Fact]
    public async Task SwappingADirectoryForASymlinkOut_NeverLetsTheAgentActOutsideTheRoots()
    {
        var rootCanary = Path.Combine(agent.Root, $"canary-root-{Guid.NewGuid():N}");
        var userCanary = Path.Combine(agent.Root, $"canary-user-{Guid.NewGuid():N}");
        foreach (var canary in new[] { rootCanary, userCanary })
        {
            Directory.CreateDirectory(Path.Combine(canary, "sub"));
            await File.WriteAllTextAsync(Path.Combine(canary, "x"), "canary");
        }

        await AgentFixture.RunAsync("chown", "-R", $"{agent.Uid}:{agent.Uid}", userCanary);
        var outsideBefore = await OutsideTheRootsAsync();

        await using var client = await agent.ConnectAsync();
        await client.CallAsync<OkEvent>(new MakeDirectoryRequest("d1"));
        await client.CallAsync<OkEvent>(new MakeDirectoryRequest("d2"));
        var swapper = await client.SendAsync(new ExecRequest
        {
            Argv = ["python3", "-c", SwapLoop, RaceDuration.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), rootCanary, userCanary],
            Limits = new ExecLimits { TimeoutMs = (int)RaceDuration.TotalMilliseconds + 20_000 },
        });
        using (var ready = new CancellationTokenSource(TimeSpan.FromSeconds(15)))
        {
            var first = await swapper.Events.ReadAsync(ready.Token);
            Assert.True(first.Event is OutputEvent, $"the swap loop did not start: {first.Event}");
        }

        var answers = new ConcurrentDictionary<string, int>();
        var clock = Stopwatch.StartNew();
        var streams = new[] { "d1", "d2" }.SelectMany(d => new Func<int, AgentRequest>[]
        {
            n => new WriteFileRequest($"{d}/x", n % 2 == 1),
            n => new MakeDirectoryRequest($"{d}/{n % 7}/{n}"),
            n => new RemoveFileRequest($"{d}/{n % 7}", true),
            n => new ReadFileRequest($"{d}/x"),
            n => new ListFilesRequest(d),
        }).Select(next => Task.Run(async () =>
        {
            for (var n = 0; clock.Elapsed < RaceDuration; n++)
            {
                var request = next(n);
                var events = await client.RequestAsync(request, Encoding.UTF8.GetBytes($"agent {n}\n"), timeoutSeconds: 10);
                var key = events[^1].Event is ErrorEvent error ? $"{request.GetType().Name} {error.Code}" : $"{request.GetType().Name} ok";
                answers.AddOrUpdate(key, 1, (_, count) => count + 1);
                if (events[^1].Event is ErrorEvent unexpected && !ExpectedErrors.Contains(unexpected.Code))
                {
                    throw new InvalidOperationException($"{request} answered {unexpected.Code}: {unexpected.Message}");
                }
            }
        })).ToArray();
        await Task.WhenAll(streams);

        var swapped = await AgentClient.CollectAsync(swapper.Events, "swap loop", timeoutSeconds: 30);
        Assert.Equal(0, swapped.Terminal<ExitEvent>().ExitCode);
        var report = $"swaps: {swapped.Stdout().Trim()}; answers: {string.Join(", ", answers.OrderBy(a => a.Key).Select(a => $"{a.Key} {a.Value}"))}";

        // Nothing outside the roots appeared, vanished, changed owner or mode, in either canary or elsewhere.
        Assert.Equal(outsideBefore, await OutsideTheRootsAsync());
        // The race was real: the agent met the symlink in d's place and refused it, and got through between swaps.
        foreach (var kind in new[] { nameof(WriteFileRequest), nameof(MakeDirectoryRequest), nameof(ReadFileRequest), nameof(ListFilesRequest) })
        {
            Assert.True(answers.GetValueOrDefault($"{kind} ok") > 0, $"no {kind} succeeded; {report}");
            Assert.True(answers.GetValueOrDefault($"{kind} {AgentErrorCodes.PathEscape}") > 0, $"no {kind} met the symlink; {report}");
        }

        Assert.True(answers.GetValueOrDefault($"{nameof(RemoveFileRequest)} ok") > 0, $"no remove succeeded; {report}");
        // Everything the agent made inside is the sandbox user's.
        var foreign = await AgentFixture.RunAsync("find", agent.WorkDir, "-mindepth", "1", "!", "-uid", agent.Uid.ToString());
        Assert.Equal("", foreign);
        output.WriteLine(report);
    }

    /// <summary>Every path under the fixture's root outside the work and tmp directories, with owner, mode and
    /// (files) size, except the agent's own scratch files (helper results come and go in the state directory).</summary>
    private async Task<string> OutsideTheRootsAsync()
    {
        var listing = await AgentFixture.RunAsync("find", agent.Root,
            "(", "-path", agent.WorkDir, "-o", "-path", agent.TmpDir, ")", "-prune", "-o",
            "(", "-path", $"{Path.GetDirectoryName(agent.SocketPath)}/*", "!", "-name", "agent.sock", ")", "-prune", "-o",
            "-type", "d", "-printf", "%p %U:%G %m %y\n", "-o", "-printf", "%p %U:%G %m %s %y\n");
        return string.Join('\n', listing.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
    }
}
