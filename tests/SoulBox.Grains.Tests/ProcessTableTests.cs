using Microsoft.Extensions.Time.Testing;
using SoulBox.Grains.Processes;

namespace SoulBox.Grains.Tests;

/// <summary>The per-sandbox process table and its fan-out, without containers: what a slow caller may hold, what
/// every caller is promised, the cap, and how long an exit is remembered.</summary>
public sealed class ProcessTableTests
{
    private static readonly ProcessOptions Options = new()
    {
        MaxProcessesPerSandbox = 2,
        AttachBufferBytes = 64 * 1024,
        MaxAttachmentsPerProcess = 2,
        RecentExitRetentionMs = 10_000,
        MaxRecentExits = 2,
    };

    private static BackgroundProcess NewProcess(int requestId = 1) =>
        new(requestId, new ProcessStartRequest { Cmd = "x", Tag = "t" }, ["/bin/bash", "-c", "x"], DateTimeOffset.UnixEpoch, Options);

    [Fact]
    public void ASlowCaller_HoldsAtMostItsBuffer_AndStillGetsTheExit()
    {
        var table = new ProcessTable(Options, new FakeTimeProvider());
        table.Reserve("s");
        var process = NewProcess();
        var slow = process.AttachFirst();
        process.OnStarted(42);
        table.Register(process);

        for (var i = 0; i < 100; i++)
        {
            process.OnOutput(ProcessEventKind.Stdout, new byte[16 * 1024]);
        }

        table.Ended(process, new ProcessExit { ExitCode = 0 }, null);

        Assert.True(slow.BufferedBytes <= Options.AttachBufferBytes + 2 * 256, $"buffered {slow.BufferedBytes}");
        Assert.True(slow.DroppedBytes > 0);
        var events = Drain(slow);
        Assert.Equal(ProcessEventKind.Started, events[0].Kind);
        Assert.Equal(42, events[0].Pid);
        Assert.Equal(ProcessEventKind.Exited, events[^1].Kind);
        Assert.Equal(0, events[^1].Exit!.ExitCode);
        Assert.Equal(100 * 16 * 1024, events.Sum(e => e.Data?.Length ?? 0) + slow.DroppedBytes);
    }

    [Fact]
    public void OutputWithNobodyAttached_IsDropped_AndALaterAttachSeesOnlyWhatFollows()
    {
        var table = new ProcessTable(Options, new FakeTimeProvider());
        table.Reserve("s");
        var process = NewProcess();
        process.Detach(process.AttachFirst());
        process.OnStarted(7);
        table.Register(process);
        process.OnOutput(ProcessEventKind.Stdout, [1, 2, 3]);

        var late = table.Find(7)!.Attach()!;
        process.OnOutput(ProcessEventKind.Stderr, [4]);
        table.Ended(process, new ProcessExit { Signal = 15 }, null);

        Assert.Equal([ProcessEventKind.Started, ProcessEventKind.Stderr, ProcessEventKind.Exited], Drain(late).Select(e => e.Kind));
    }

    [Fact]
    public void TheCap_CountsStartingProcesses_AndAnEndFreesAPlace()
    {
        var table = new ProcessTable(Options, new FakeTimeProvider());
        table.Reserve("s");
        table.Reserve("s");

        var refused = Assert.Throws<SoulBoxException>(() => table.Reserve("s"));
        table.Ended(NewProcess(), null, new InvalidOperationException("could not start"));
        table.Reserve("s");

        Assert.Equal(ErrorCodes.TooManyProcesses, refused.Code);
        Assert.Equal(2, table.Count);
    }

    [Fact]
    public void AnExit_IsRememberedForTheRetention_ThenForgotten()
    {
        var time = new FakeTimeProvider();
        var table = new ProcessTable(Options, time);
        table.Reserve("s");
        var process = NewProcess();
        process.OnStarted(9);
        table.Register(process);
        table.Ended(process, new ProcessExit { ExitCode = 1 }, null);

        Assert.Null(table.Running(9));
        var attached = Drain(table.Find(9)!.Attach()!);
        time.Advance(TimeSpan.FromMilliseconds(Options.RecentExitRetentionMs + 1));

        Assert.Equal([ProcessEventKind.Started, ProcessEventKind.Exited], attached.Select(e => e.Kind));
        Assert.Equal(1, attached[^1].Exit!.ExitCode);
        Assert.Null(table.Find(9));
        Assert.Empty(table.List());
    }

    [Fact]
    public void AttachmentsPerProcess_AreBounded()
    {
        var table = new ProcessTable(Options, new FakeTimeProvider());
        table.Reserve("s");
        var process = NewProcess();
        process.AttachFirst();
        process.OnStarted(3);
        table.Register(process);

        Assert.NotNull(process.Attach());
        Assert.Null(process.Attach());
        Assert.Equal(3, Assert.Single(table.List()).Pid);
    }

    private static List<ProcessEvent> Drain(ProcessAttachment attachment)
    {
        var events = new List<ProcessEvent>();
        var reader = attachment.ReadAllAsync(CancellationToken.None).GetAsyncEnumerator();
        while (reader.MoveNextAsync().AsTask().GetAwaiter().GetResult())
        {
            events.Add(reader.Current);
        }

        return events;
    }
}
