using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SoulBox.Agent.Exec;
using SoulBox.Agent.Protocol;

namespace SoulBox.Agent.Worker;

/// <summary>A persistent language kernel process (kernels/*): requests go to its stdin as JSON
/// lines; its stdout and stderr carry user output straight through, and each run ends with a
/// nonce marker on both (plus the reply on stdout), so output that merely looks like a marker
/// cannot end a run, and no output of a run can arrive after its result.
///
/// Forged replies. The nonce cannot be kept from user code: the code runs inside the kernel
/// process, which must know the nonce to write it (Python: <c>import __main__; __main__.marker</c>;
/// any language: /proc/self/mem). So the protocol makes a forged marker harmless instead of secret:
/// (1) every request carries a turn number that both markers repeat, and only markers naming the
/// current turn count, so a forged early end of run N cannot make the real end of run N complete
/// run N+1 (the stream stays in step, whatever user code prints); (2) the reply line is bounded
/// (<see cref="KernelOutputScanner.MaxReplyBytes"/>), so a forged marker followed by an endless
/// line cannot grow the agent; (3) a reply is only data for that run's own caller: a kernel belongs
/// to one sandbox, one-shot executors stop every kernel at reset, and a forger can only end its own
/// run early with a value it could as well have returned.</summary>
internal sealed class Kernel
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    /// <summary>RLIMIT_FSIZE of a kernel and all it starts: the same default as a command's
    /// (<see cref="ExecLimits.MaxFileBytes"/>), so a kernel cannot write a sparse terabyte file either.</summary>
    private static readonly long KernelMaxFileBytes = new ExecLimits().MaxFileBytes;

    private readonly WorkerServices _services;
    private readonly SandboxProcess _process;
    private readonly Task _stdoutPump;
    private readonly Task _stderrPump;
    private volatile KernelTurn? _turn;
    private long _turns;
    private Lazy<Task<bool>>? _stop;

    private Kernel(WorkerServices services, SandboxProcess process, byte[] marker, KernelTurn startup)
    {
        _services = services;
        _process = process;
        _turn = startup;
        _stdoutPump = PumpAsync(process.Stdout, OutputStream.Stdout, new KernelOutputScanner(marker));
        _stderrPump = PumpAsync(process.Stderr, OutputStream.Stderr, new KernelOutputScanner(marker));
    }

    public bool HasExited => _process.ProgramHasExited;

    public static async Task<Kernel> StartAsync(WorkerServices services, string language, IReadOnlyList<string> argv, string cwd)
    {
        var nonce = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var marker = Encoding.ASCII.GetBytes($"\u001e\u001fsoulbox:{nonce}\u001f");
        var process = services.Launcher.Start(argv, services.BuildEnvironment(null), cwd, 
            new ProcessLimits(MaxOpenFiles: 1024, MaxFileBytes: KernelMaxFileBytes, MaxProcesses: 0));
        var startup = new KernelTurn(null, 0);
        var kernel = new Kernel(services, process, marker, startup);
        try
        {
            await kernel.WriteLineAsync(Encoding.ASCII.GetBytes(nonce)).ConfigureAwait(false);
            await startup.Completion.WaitAsync(StartTimeout).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or TimeoutException or KernelExitedException or ObjectDisposedException)
        {
            await kernel.StopAsync().ConfigureAwait(false);
            var stderr = Encoding.UTF8.GetString(startup.UnclaimedStderr.ToArray()).Trim();
            throw new AgentException(AgentErrorCodes.Internal,
                $"The {language} kernel ({string.Join(' ', argv)}) did not start: {(stderr.Length > 0 ? stderr : e.Message)}");
        }

        kernel._turn = null;
        AgentLog.Info($"{language} kernel started (helper pid {process.HelperPid})");
        return kernel;
    }

    /// <summary>Runs one request; output flows to the turn while it runs. Throws
    /// <see cref="KernelExitedException"/> when the kernel dies during the run.</summary>
    public async Task<KernelReply> RunAsync(KernelRequest request, KernelTurn turn, CancellationToken cancellationToken)
    {
        turn.Number = Interlocked.Increment(ref _turns);
        _turn = turn;
        try
        {
            var line = JsonSerializer.SerializeToUtf8Bytes(request with { Turn = turn.Number }, KernelJsonContext.Default.KernelRequest);
            try
            {
                await WriteLineAsync(line).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                throw new KernelExitedException();
            }

            return await turn.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _turn = null;
            await turn.CloseAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Kills the kernel and everything it started; false when that did not finish within the
    /// kill grace (see <see cref="RunKiller"/>). Idempotent: a restart or delete and the run it ends both stop the
    /// same kernel at once, and share the one kill (a second kill would find the process already disposed).</summary>
    public Task<bool> StopAsync()
    {
        var stop = new Lazy<Task<bool>>(StopOnceAsync);
        return (Interlocked.CompareExchange(ref _stop, stop, null) ?? stop).Value;
    }

    private async Task<bool> StopOnceAsync()
    {
        var killed = await _services.KillRunAsync(_process).ConfigureAwait(false);
        await Task.WhenAny(Task.WhenAll(_stdoutPump, _stderrPump), Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false);
        _process.Dispose();
        return killed;
    }

    private async Task WriteLineAsync(byte[] line)
    {
        // One write per request: the kernel reads whole lines.
        var framed = new byte[line.Length + 1];
        line.CopyTo(framed, 0);
        framed[^1] = (byte)'\n';
        await _process.Stdin.WriteAsync(framed).ConfigureAwait(false);
        await _process.Stdin.FlushAsync().ConfigureAwait(false);
    }

    private async Task PumpAsync(Stream stream, OutputStream kind, KernelOutputScanner scanner)
    {
        var buffer = new byte[OutputPump.ChunkBytes];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                var items = scanner.Feed(buffer.AsSpan(0, read));
                // Output read together with its turn's stdout marker (a short run's print and its end, one read) is
                // sent unflushed: the turn's result always follows at once, so both leave in one write and the silo
                // wakes once instead of twice.
                var endFollows = kind == OutputStream.Stdout && _turn is { } current && items.Exists(i => i.IsMarker && i.Turn == current.Number);
                foreach (var item in items)
                {
                    var turn = _turn;
                    if (turn is null)
                    {
                        continue; // output between runs (a background job) has no caller
                    }

                    if (item.IsMarker && item.Turn != turn.Number)
                    {
                        continue; // a stale or forged marker of another run ends nothing
                    }

                    if (!item.IsMarker)
                    {
                        await turn.OutputAsync(kind, item.Output, flush: !endFollows).ConfigureAwait(false);
                    }
                    else if (item.IsResult)
                    {
                        if (kind == OutputStream.Stdout)
                        {
                            await turn.ResultAsync(item.ReplyTooLarge ? null : item.Reply, flush: !endFollows).ConfigureAwait(false);
                        }
                    }
                    else if (kind == OutputStream.Stdout)
                    {
                        turn.StdoutMarker(item.ReplyTooLarge ? null : item.Reply ?? []);
                    }
                    else
                    {
                        turn.StderrMarker();
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
        }

        _turn?.Fail(new KernelExitedException());
    }
}

/// <summary>The kernel process ended (crash, os._exit, out of memory) before finishing a run.</summary>
internal sealed class KernelExitedException() : Exception("The kernel process exited.");
