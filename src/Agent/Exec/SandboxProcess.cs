using System.Diagnostics;
using System.Text.Json;

namespace SoulBox.Agent.Exec;

/// <summary>A program running under the soulbox-exec helper: its pipes, its tree, its result.</summary>
internal sealed class SandboxProcess(Process helper, string resultFile) : IDisposable
{
    private int _sessionId;

    /// <summary>Pid of the root helper; every descendant stays below it while it lives (subreaper).</summary>
    public int HelperPid { get; } = helper.Id;

    public Stream Stdin => helper.StandardInput.BaseStream;

    public Stream Stdout => helper.StandardOutput.BaseStream;

    public Stream Stderr => helper.StandardError.BaseStream;

    public bool HasExited => helper.HasExited;

    /// <summary>Whether the program itself is gone (or a zombie), which can be true a moment before the
    /// helper has noticed and exited: what a kernel killed between runs looks like.</summary>
    public bool ProgramHasExited => HasExited || (SessionId() is > 0 and var pid && !IsAlive(pid));

    public Task WaitForExitAsync(CancellationToken cancellationToken) => helper.WaitForExitAsync(cancellationToken);

    /// <summary>SIGKILLs the program and everything it started (timeout, cancel, kernel stop). What
    /// escapes this pass is still below the helper, which kills it before it exits.</summary>
    public Task KillTreeAsync() => ProcessTree.KillTreeAsync(HelperPid, SessionId());

    /// <summary>Kills the tree until the helper has exited, for at most <paramref name="grace"/>; repeats
    /// because a kill that lands before the helper has forked finds nothing to kill. False when the
    /// helper is still there at the end (a tree that keeps forking can outrun a /proc scan).</summary>
    public async Task<bool> KillAndWaitAsync(TimeSpan grace)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!HasExited && clock.Elapsed < grace)
        {
            await KillTreeAsync().ConfigureAwait(false);
            using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
            try
            {
                await WaitForExitAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        return HasExited;
    }

    /// <summary>The program's pid (= its process group and session id) as soon as the helper has written it, which it
    /// does right after fork; 0 when the helper exited without one or <paramref name="cancellationToken"/> ends the wait.</summary>
    public async Task<int> WaitForPidAsync(CancellationToken cancellationToken)
    {
        for (var round = 0; !cancellationToken.IsCancellationRequested; round++)
        {
            // The helper writes the pid right after fork, possibly before the child's setsid: a signal to the group
            // would find no group yet. The pid is only handed out once the child leads its own session (or is gone).
            if (SessionId() is > 0 and var pid && LeadsItsSession(pid))
            {
                return pid;
            }

            if (HasExited)
            {
                return SessionId();
            }

            try
            {
                await Task.Delay(round < 20 ? 1 : 10, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return 0;
    }

    /// <summary>True once <paramref name="pid"/> called setsid (its session id is its pid), or when it is gone.</summary>
    private static bool LeadsItsSession(int pid) =>
        ProcessTree.StatFields(pid) is not { Length: >= 4 } fields || fields[3] == pid.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Sends <paramref name="signal"/> to the program's process group; false when the program is gone (its
    /// helper exited) or its pid is not known yet.</summary>
    public bool SignalGroup(int signal)
    {
        if (HasExited || SessionId() is not (> 0 and var pid))
        {
            return false;
        }

        return Libc.Kill(-pid, signal) == 0;
    }

    /// <summary>Reads the helper's report; call after the helper exited.</summary>
    public ProcessResult ReadResult()
    {
        try
        {
            return ProcessResult.Parse(File.ReadAllLines(resultFile));
        }
        catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return ProcessResult.Unknown;
        }
    }

    /// <summary>The program's pid = its session id (it calls setsid); the helper writes it as the first
    /// line of the result file right after fork. 0 while not yet known.</summary>
    private int SessionId()
    {
        if (_sessionId > 0)
        {
            return _sessionId;
        }

        try
        {
            using var stream = new FileStream(resultFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var line = reader.ReadLine();
            if (line is not null && line.StartsWith("{\"pid\":", StringComparison.Ordinal)
                && int.TryParse(line.AsSpan(7, line.Length - 8), out var pid))
            {
                _sessionId = pid;
            }
        }
        catch (IOException)
        {
        }

        return _sessionId;
    }

    /// <summary>False for a process that is gone, a zombie, already exiting, or has a SIGKILL pending: a kernel killed
    /// between runs (`kill -9 -1` from user code) must count as dead the moment the signal is sent, not only once the
    /// scheduler has let it die, or the next run would be handed to a process about to vanish. Checked before every
    /// code run, so it reads one file into a stack buffer: /proc/pid/stat holds the state, the flags and the main
    /// thread's pending signals, and a SIGKILL to the process is put on every thread's own pending set at once
    /// (the kernel's complete_signal), so field 31 shows it as /proc/pid/status's ShdPnd would.</summary>
    private static bool IsAlive(int pid)
    {
        const ulong PfExiting = 0x4;
        const ulong SigKillBit = 1UL << (9 - 1);
        Span<byte> stat = stackalloc byte[1024];
        int length;
        try
        {
            using var handle = File.OpenHandle($"/proc/{pid}/stat");
            length = RandomAccess.Read(handle, stat, 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        // Fields after the command name, which may hold spaces and parentheses: "state ppid pgrp ... flags(9) ... signal(31)".
        var rest = stat[..length];
        var close = rest.LastIndexOf((byte)')');
        if (close < 0 || close + 2 >= rest.Length)
        {
            return false;
        }

        rest = rest[(close + 2)..];
        var state = rest[0];
        if (state is (byte)'Z' or (byte)'X')
        {
            return false;
        }

        ulong flags = 0, signal = 0;
        for (var field = 3; field <= 31 && !rest.IsEmpty; field++)
        {
            var space = rest.IndexOf((byte)' ');
            var token = space < 0 ? rest : rest[..space];
            if (field == 9)
            {
                System.Buffers.Text.Utf8Parser.TryParse(token, out flags, out _);
            }
            else if (field == 31)
            {
                System.Buffers.Text.Utf8Parser.TryParse(token, out signal, out _);
            }

            rest = space < 0 ? [] : rest[(space + 1)..];
        }

        return (flags & PfExiting) == 0 && (signal & SigKillBit) == 0;
    }

    public void Dispose()
    {
        helper.Dispose();
        try
        {
            File.Delete(resultFile);
        }
        catch (IOException)
        {
        }
    }
}
