using System.Text;
using SoulBox.Grains;

namespace SoulBox.Client;

/// <summary>A background process in a sandbox that this caller is attached to (from
/// <see cref="SandboxCommands.StartAsync(ProcessStartRequest, CancellationToken)"/> or
/// <see cref="SandboxCommands.AttachAsync"/>). Read its output through <see cref="Events"/> or wait for it with
/// <see cref="WaitAsync"/> (one of the two, once). Disposing the handle detaches: the process keeps running until it
/// exits, is killed, or its lifetime ends. While attached, read steadily: output the node cannot buffer for a slow
/// reader (SoulBox:Processes:AttachBufferBytes) is dropped for that reader, as output produced while nobody is
/// attached is.</summary>
public sealed class ProcessHandle : IAsyncDisposable
{
    private readonly ISandboxGrain _grain;
    private readonly IAsyncEnumerator<ProcessEvent> _events;
    private int _reading;

    private ProcessHandle(ISandboxGrain grain, IAsyncEnumerator<ProcessEvent> events, int pid)
    {
        _grain = grain;
        _events = events;
        Pid = pid;
    }

    /// <summary>The process id inside the sandbox.</summary>
    public int Pid { get; }

    /// <summary>The process's events after Started: Stdout and Stderr chunks as produced, then Exited (the last). Ends
    /// without Exited only when the caller cancels.</summary>
    public IAsyncEnumerable<ProcessEvent> Events => Interlocked.Exchange(ref _reading, 1) == 0
        ? ReadAsync()
        : throw new InvalidOperationException("The events of a process handle can be read once (Events or WaitAsync).");

    /// <summary>Takes the first event (Started) of a start or attach stream and wraps the rest.</summary>
    internal static async Task<ProcessHandle> OpenAsync(ISandboxGrain grain, IAsyncEnumerable<ProcessEvent> stream, CancellationToken cancellationToken)
    {
        var events = stream.GetAsyncEnumerator(cancellationToken);
        try
        {
            if (!await events.MoveNextAsync().ConfigureAwait(false) || events.Current.Kind != ProcessEventKind.Started)
            {
                throw new InvalidOperationException("The process stream did not begin with Started.");
            }

            return new ProcessHandle(grain, events, events.Current.Pid);
        }
        catch
        {
            await events.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Waits for the process to end and returns how, with the output produced while attached (up to
    /// <paramref name="maxOutputBytesPerStream"/> per stream, default 1 MiB; the rest is counted as truncated).</summary>
    public async Task<ProcessOutcome> WaitAsync(long maxOutputBytesPerStream = 1024 * 1024, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxOutputBytesPerStream);
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        bool stdoutTruncated = false, stderrTruncated = false;
        await foreach (var item in Events.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            switch (item.Kind)
            {
                case ProcessEventKind.Stdout:
                    stdoutTruncated |= !Keep(stdout, item.Data, maxOutputBytesPerStream);
                    break;
                case ProcessEventKind.Stderr:
                    stderrTruncated |= !Keep(stderr, item.Data, maxOutputBytesPerStream);
                    break;
                case ProcessEventKind.Exited:
                    return new ProcessOutcome
                    {
                        Pid = Pid,
                        Exit = item.Exit!,
                        Stdout = Encoding.UTF8.GetString(stdout.GetBuffer(), 0, (int)stdout.Length),
                        Stderr = Encoding.UTF8.GetString(stderr.GetBuffer(), 0, (int)stderr.Length),
                        StdoutTruncated = stdoutTruncated,
                        StderrTruncated = stderrTruncated,
                    };
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        throw new InvalidOperationException($"The stream of process {Pid} ended without its exit.");
    }

    /// <summary>Writes to the process's stdin (it must have been started with KeepStdinOpen).</summary>
    public Task SendStdinAsync(byte[] data, CancellationToken cancellationToken = default) =>
        _grain.SendProcessInputAsync(Pid, data, cancellationToken);

    /// <summary>Writes UTF-8 text to the process's stdin.</summary>
    public Task SendStdinAsync(string text, CancellationToken cancellationToken = default) =>
        SendStdinAsync(Encoding.UTF8.GetBytes(text), cancellationToken);

    /// <summary>Closes the process's stdin (it reads end of file).</summary>
    public Task CloseStdinAsync(CancellationToken cancellationToken = default) => _grain.CloseProcessInputAsync(Pid, cancellationToken);

    /// <summary>Sends a signal (15 SIGTERM, 9 SIGKILL, 2 SIGINT, 1 SIGHUP, ...) to the process's group.</summary>
    public Task SignalAsync(int signal, CancellationToken cancellationToken = default) => _grain.SignalProcessAsync(Pid, signal, cancellationToken);

    /// <summary>Kills the process's group with SIGKILL; its Exited event follows on the stream.</summary>
    public Task KillAsync(CancellationToken cancellationToken = default) => SignalAsync(9, cancellationToken);

    /// <summary>Detaches without killing the process.</summary>
    public ValueTask DisposeAsync() => _events.DisposeAsync();

    private async IAsyncEnumerable<ProcessEvent> ReadAsync()
    {
        while (await _events.MoveNextAsync().ConfigureAwait(false))
        {
            yield return _events.Current;
            if (_events.Current.Kind == ProcessEventKind.Exited)
            {
                yield break;
            }
        }
    }

    private static bool Keep(MemoryStream into, byte[]? data, long max)
    {
        if (data is null)
        {
            return true;
        }

        var room = (int)Math.Max(0, Math.Min(data.Length, max - into.Length));
        into.Write(data, 0, room);
        return room == data.Length;
    }
}
