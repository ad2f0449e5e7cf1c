using System.Threading.Channels;
using SoulBox.Agent.Exec;

namespace SoulBox.Agent.Worker;

/// <summary>The stdin side of one running exec. Writes are queued so StdinRequests keep their order
/// even though requests are handled concurrently, and so the connection never blocks on a process
/// that does not read its input.</summary>
internal sealed class ExecSession
{
    // Written: completed once the data is in the pipe or will never be (the process is gone); null when nobody waits.
    private readonly Channel<(byte[] Data, bool Close, TaskCompletionSource? Written)> _stdin = Channel.CreateUnbounded<(byte[], bool, TaskCompletionSource?)>(
        new UnboundedChannelOptions { SingleReader = true });

    private SandboxProcess? _process;

    /// <summary>Set by the handler once the program is spawned; signals need it.</summary>
    public void Started(SandboxProcess process) => Volatile.Write(ref _process, process);

    /// <summary>Signals the exec's process group; false when it is not spawned yet or already gone.</summary>
    public bool Signal(int signal) => Volatile.Read(ref _process) is { } process && process.SignalGroup(signal);

    /// <summary>Queues input; the task completes when it is written (or dropped because the process is gone) if
    /// <paramref name="waitWritten"/>, else at once.</summary>
    public Task Write(byte[] data, bool close, bool waitWritten = false)
    {
        var written = waitWritten ? new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) : null;
        if (!_stdin.Writer.TryWrite((data, close, written)))
        {
            throw new AgentException(Protocol.AgentErrorCodes.BadRequest, "Stdin of this process is already closed.");
        }

        if (close)
        {
            _stdin.Writer.TryComplete();
        }

        return written?.Task ?? Task.CompletedTask;
    }

    /// <summary>Copies queued input to the process until a close arrives or the process is gone.</summary>
    public async Task PumpAsync(Stream stdin)
    {
        try
        {
            await foreach (var (data, close, written) in _stdin.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                try
                {
                    if (data.Length > 0)
                    {
                        await stdin.WriteAsync(data).ConfigureAwait(false);
                        await stdin.FlushAsync().ConfigureAwait(false);
                    }
                }
                finally
                {
                    written?.TrySetResult();
                }

                if (close)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The process exited or closed its stdin; the rest of the input has nowhere to go.
        }
        finally
        {
            try
            {
                stdin.Close();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
            }

            ReleaseWaiters();
        }
    }

    /// <summary>Ends the pump when the process is gone (a KeepStdinOpen input may never be closed).</summary>
    public void Complete()
    {
        _stdin.Writer.TryComplete();
        ReleaseWaiters();
    }

    /// <summary>Input still queued will never be written: its senders stop waiting.</summary>
    private void ReleaseWaiters()
    {
        while (_stdin.Reader.TryRead(out var rest))
        {
            rest.Written?.TrySetResult();
        }
    }
}
