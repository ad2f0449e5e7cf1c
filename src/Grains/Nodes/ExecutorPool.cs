using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SoulBox.Agent.Protocol;
using SoulBox.Grains.AgentClient;
using SoulBox.Grains.Compilation;
using SoulBox.Grains.Containers;
using SoulBox.Grains.Execution;
using SoulBox.Grains.Hosting;
using SoulBox.Grains.Telemetry;

namespace SoulBox.Grains.Nodes;

/// <summary>Runs one-shot executions on this node in containers that are reset between runs (the agent's reset
/// kills every process of the sandbox user and empties the writable roots), so no run can observe an earlier one.
/// <para>Slots are shared between tenants by <see cref="ExecutionScheduler"/> (fair share, bounded wait). Every
/// run has a deadline of its timeouts plus a grace; past it the node stops waiting for the agent, removes the
/// container and answers a timeout. An executor taken for a run is removed on every path except one: its
/// reset succeeded and it went back to the idle set. Idle executors are kept per (template, memory bucket) under
/// a per-node cap with least-recently-used eviction.</para></summary>
internal sealed partial class ExecutorPool : IAsyncDisposable
{
    // A class, not a record: executors are told apart by identity (two handles never compare equal).
    private sealed class Executor(ContainerHandle container, AgentConnection agent)
    {
        public ContainerHandle Container { get; } = container;

        public AgentConnection Agent { get; } = agent;
    }

    private readonly IContainerRuntime _runtime;
    private readonly SandboxOptions _options;
    private readonly ContainerRuntimeOptions _runtimeOptions;
    private readonly SoulBoxMetrics _metrics;
    private readonly ContainerStarts _starts;
    private readonly NodeDrain _drain;
    private readonly TimeProvider _time;
    private readonly ILogger<ExecutorPool> _logger;
    private readonly OneShotValidator _validator;
    private readonly BatchValidator _batchValidator;
    private readonly CompileCache _compileCache;
    private readonly ExecutionScheduler _scheduler;
    private readonly IdleExecutors<(string Template, int MemoryMb), Executor> _idle;
    // Executors out of the idle set: running, or being reset or removed.
    private readonly ConcurrentDictionary<Executor, byte> _busy = new();

    public ExecutorPool(
        IContainerRuntime runtime,
        IOptions<SandboxOptions> sandboxOptions,
        IOptions<ContainerRuntimeOptions> runtimeOptions,
        SoulBoxMetrics metrics,
        ContainerStarts starts,
        NodeDrain drain,
        CompileCache compileCache,
        TimeProvider time,
        ILogger<ExecutorPool> logger)
    {
        _compileCache = compileCache;
        _starts = starts;
        _drain = drain;
        _runtime = runtime;
        _options = sandboxOptions.Value;
        _runtimeOptions = runtimeOptions.Value;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _validator = new OneShotValidator(_options);
        _batchValidator = new BatchValidator(_options);
        var slots = _options.MaxConcurrentExecutions;
        _scheduler = new ExecutionScheduler(
            slots,
            Math.Max(1, (int)Math.Floor(slots * _options.TenantExecutionShare)),
            _options.MaxQueuedExecutionsPerTenant,
            TimeSpan.FromMilliseconds(_options.ExecutionQueueTimeoutMs),
            time);
        _idle = new(_options.IdleExecutorsPerTemplate, _options.IdleExecutorsPerNode);
    }

    public int IdleCount => _idle.Count;

    /// <summary>Executor containers of this node, busy and idle.</summary>
    public int ExecutorCount => _idle.Count + _busy.Count;

    public int RunningExecutions => _scheduler.Running;

    /// <summary>One-shot runs waiting for a slot.</summary>
    public int WaitingExecutions => _scheduler.Waiting;

    public int MaxExecutions => _scheduler.Slots;

    public IEnumerable<(string Template, int Count)> IdleByTemplate =>
        _idle.CountByKey().GroupBy(e => e.Key.Template).Select(g => (g.Key, g.Sum(e => e.Count)));

    /// <summary>Runs a request's validation, counting a refusal for size in the metrics.</summary>
    private T Validated<T>(Func<T> validate)
    {
        try
        {
            return validate();
        }
        catch (RequestTooLargeException)
        {
            _metrics.ExecutionRefused("too_large");
            throw;
        }
    }

    /// <summary>One execution slot of the tenant's share (bounded wait), counting a refusal in the metrics.</summary>
    private async Task<IDisposable> AcquireSlotAsync(string tenant, CancellationToken cancellationToken)
    {
        try
        {
            return await _scheduler.AcquireAsync(tenant, cancellationToken).ConfigureAwait(false);
        }
        catch (RetryLaterException e)
        {
            _metrics.ExecutionRefused(e is TenantShareExceededException ? "tenant_share" : "node_busy");
            throw;
        }
    }

    public async Task<ExecuteResult> ExecuteAsync(ExecuteRequest request, string tenant, IReadOnlyDictionary<string, TemplateInfo> templates, CancellationToken cancellationToken)
    {
        var run = Validated(() => _validator.Validate(request));
        var key = (run.Template, ExecutorMemoryBuckets.RoundUp(run.MemoryMb, _options.MaxMemoryMb));
        var started = Stopwatch.GetTimestamp();
        using var slot = await AcquireSlotAsync(tenant, cancellationToken).ConfigureAwait(false);
        var executor = await TakeOrStartAsync(key, cancellationToken).ConfigureAwait(false);
        var handedOver = false;
        try
        {
            var (result, reusable) = await RunAsync(executor, run, cancellationToken).ConfigureAwait(false);
            // A draining node keeps no idle executors: nothing new will run on it.
            if (reusable && !_drain.IsDraining)
            {
                handedOver = true;
                _ = RecycleAsync(key, executor);
            }

            _metrics.Executed("execute", run.Language, result.Status, Stopwatch.GetElapsedTime(started));
            return result with { Version = templates.TryGetValue(run.Template, out var info) ? info.Version : "" };
        }
        finally
        {
            if (!handedOver)
            {
                _ = DiscardAsync(executor);
            }
        }
    }

    /// <summary>Runs the program under its deadline. Returns the result and whether the executor may be reset and
    /// kept; throws only <see cref="SoulBoxException"/>s and the caller's own cancellation.</summary>
    private async Task<(ExecuteResult Result, bool Reusable)> RunAsync(Executor executor, OneShotRun run, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        using var deadline = new CancellationTokenSource(run.Deadline(TimeSpan.FromMilliseconds(_options.ExecutionGraceMs)), _time);
        // Cancelling a request makes the connection wait for the agent's final event, which an agent that no
        // longer answers never sends: past the deadline the connection is closed instead, failing the request.
        await using var abort = deadline.Token.UnsafeRegister(static e => _ = ((Executor)e!).Agent.DisposeAsync(), executor).ConfigureAwait(false);
        try
        {
            var result = await ProgramRunner.RunAsync(
                executor.Agent, Templates.Home(executor.Container.Template), run.Program, executor.Container.ImageEnv, run.Limits,
                () => _runtime.ReadOomKillCount(executor.Container), null, new CompileCacheScope(_compileCache, executor.Container.ImageId),
                CompileMemoryOf(executor, run), cancellationToken).ConfigureAwait(false);
            return (WithRequestedMemory(result, run.MemoryMb), !deadline.IsCancellationRequested && !executor.Agent.IsClosed);
        }
        catch (Exception) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            var elapsed = _time.GetElapsedTime(started);
            LogDeadlinePassed(executor.Container.Id, elapsed.TotalMilliseconds);
            _metrics.ExecutionRefused("deadline");
            return (TimedOut(run.Language, elapsed), false);
        }
        catch (Exception e) when (e is not (SoulBoxException or OperationCanceledException))
        {
            // Only SoulBox exceptions cross the wire; the agent's and the socket's stay here.
            throw new SoulBoxException(ErrorCodes.Internal, $"The execution container failed: {e.Message}");
        }
    }

    /// <summary>The compile stage's own memory limit, set on the executor only while the compiler runs; the run limit
    /// it goes back to is the container's (the run's memory bucket).</summary>
    private CompileMemory? CompileMemoryOf(Executor executor, OneShotRun run) => CompileMemoryOf(executor, run, run.MemoryMb);

    /// <param name="runMemoryMb">The memory the program asked for, whose bucket is the executor's limit.</param>
    private CompileMemory? CompileMemoryOf(Executor executor, OneShotRun run, int runMemoryMb) => run.Limits.CompileMemoryMb is { } compileMb
        ? new CompileMemory(
            (bytes, ct) => _runtime.SetMemoryLimitAsync(executor.Container, bytes, ct),
            compileMb * 1024L * 1024,
            ExecutorMemoryBuckets.RoundUp(runMemoryMb, _options.MaxMemoryMb) * 1024L * 1024)
        : null;

    /// <summary>The container's limit is the memory bucket; a run whose peak passed the limit it asked for did not
    /// keep to it, so its verdict is the memory limit even when the kernel did not kill it.</summary>
    private static ExecuteResult WithRequestedMemory(ExecuteResult result, int memoryMb)
    {
        if (result.Run is not { } run)
        {
            return result;
        }

        var limited = WithRequestedMemory(run, memoryMb);
        return ReferenceEquals(limited, run) ? result : result with { Status = ExecutionStatus.MemoryLimit, Run = limited };
    }

    private static CommandResult WithRequestedMemory(CommandResult run, int memoryMb) =>
        run.PeakMemoryBytes > memoryMb * 1024L * 1024 && run.Status is ExecutionStatus.Ok or ExecutionStatus.RuntimeError or ExecutionStatus.OutputLimit
            ? run with { Status = ExecutionStatus.MemoryLimit }
            : run;

    private static ExecuteResult TimedOut(string language, TimeSpan elapsed) => new()
    {
        Language = language,
        Status = ExecutionStatus.Timeout,
        Stderr = "The run did not end within its timeouts plus the node's grace; its container was removed.",
        WallTimeMs = elapsed.TotalMilliseconds,
        Run = new CommandResult
        {
            Status = ExecutionStatus.Timeout,
            Stderr = "The run did not end within its timeouts plus the node's grace; its container was removed.",
            WallTimeMs = elapsed.TotalMilliseconds,
        },
    };

    private async Task<Executor> TakeOrStartAsync((string Template, int MemoryMb) key, CancellationToken cancellationToken)
    {
        while (_idle.TryTake(key, out var idle))
        {
            _busy[idle] = 0;
            if (!idle.Agent.IsClosed)
            {
                return idle;
            }

            _ = DiscardAsync(idle);
        }

        var started = await ConnectedContainer.StartAsync(_runtime, new ContainerSpec
        {
            Template = key.Template,
            MemoryBytes = key.MemoryMb * 1024L * 1024,
            Cpu = _options.DefaultCpu,
            PidsLimit = _options.PidsLimit,
            WorkDirSizeMb = _options.WorkDirSizeMb,
            TmpSizeMb = _options.TmpSizeMb,
            Purpose = "executor",
        }, TimeSpan.FromSeconds(_runtimeOptions.AgentStartTimeoutSeconds), _logger, _starts, cancellationToken).ConfigureAwait(false);
        var executor = new Executor(started.Container, started.Agent);
        _busy[executor] = 0;
        return executor;
    }

    /// <summary>Resets the container after a run and keeps it for the next one; removes it when the reset fails or
    /// takes longer than ExecutorResetTimeoutMs, or when it does not fit the idle caps (then the executor idle
    /// longest goes instead, if that is another one). The reset itself covers processes, files, /dev/shm and IPC.</summary>
    private async Task RecycleAsync((string Template, int MemoryMb) key, Executor executor)
    {
        if (await ResetAsync(executor).ConfigureAwait(false))
        {
            KeepIdle(key, executor);
        }
        else
        {
            await DiscardAsync(executor).ConfigureAwait(false);
        }
    }

    /// <summary>Resets an executor for its next run: true when the reset succeeded within ExecutorResetTimeoutMs and
    /// the agent still answers; the caller removes it otherwise.</summary>
    private async Task<bool> ResetAsync(Executor executor)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(_options.ExecutorResetTimeoutMs), _time);
            await using var abort = timeout.Token.UnsafeRegister(static e => _ = ((Executor)e!).Agent.DisposeAsync(), executor).ConfigureAwait(false);
            await executor.Agent.RequestAsync(new ResetRequest(), timeout.Token).ConfigureAwait(false);
            return !executor.Agent.IsClosed && !timeout.IsCancellationRequested;
        }
        catch (Exception e)
        {
            LogResetFailed(e, executor.Container.Id);
            return false;
        }
    }

    /// <summary>Puts a reset executor into the idle set, within its caps (what falls out is removed; on a draining
    /// node nothing is kept).</summary>
    private void KeepIdle((string Template, int MemoryMb) key, Executor executor)
    {
        var kept = false;
        if (!_drain.IsDraining)
        {
            var evicted = _idle.Add(key, executor);
            kept = !evicted.Contains(executor);
            foreach (var old in evicted.Where(e => !ReferenceEquals(e, executor)))
            {
                _ = DiscardAsync(old);
            }
        }

        if (kept)
        {
            _busy.TryRemove(executor, out _);
        }
        else
        {
            _ = DiscardAsync(executor);
        }
    }

    private async Task DiscardAsync(Executor executor)
    {
        try
        {
            await executor.Agent.DisposeAsync().ConfigureAwait(false);
            await _runtime.RemoveAsync(executor.Container, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LogRemoveFailed(e, executor.Container.Id);
        }
        finally
        {
            _busy.TryRemove(executor, out _);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var executor in _idle.Drain())
        {
            await DiscardAsync(executor).ConfigureAwait(false);
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Executor container {ContainerId} could not be reset; removing it")]
    private partial void LogResetFailed(Exception exception, string containerId);

    [LoggerMessage(2, LogLevel.Warning, "Executor container {ContainerId} could not be removed")]
    private partial void LogRemoveFailed(Exception exception, string containerId);

    [LoggerMessage(3, LogLevel.Warning, "A one-shot run in executor {ContainerId} passed its deadline after {ElapsedMs:F0} ms; removing the container")]
    private partial void LogDeadlinePassed(string containerId, double elapsedMs);
}
