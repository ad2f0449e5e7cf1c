using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SoulBox.Agent.Protocol;
using SoulBox.Grains.AgentClient;
using SoulBox.Grains.Containers;
using SoulBox.Grains.Execution;
using SoulBox.Grains.Hosting;
using SoulBox.Grains.Sandboxes;
using SoulBox.Grains.Telemetry;

namespace SoulBox.Grains.Nodes;

/// <summary>Runs one-shot executions on this node in containers that are reset between runs: every process
/// of the sandbox user is killed and /home/sandbox, /tmp and /dev/shm are emptied before a container serves
/// the next run, so no run can observe an earlier one. Idle containers are kept per template and memory size.</summary>
internal sealed partial class ExecutorPool(
    IContainerRuntime runtime,
    IOptions<SandboxOptions> sandboxOptions,
    IOptions<ContainerRuntimeOptions> runtimeOptions,
    SoulBoxMetrics metrics,
    ILogger<ExecutorPool> logger) : IAsyncDisposable
{
    private sealed record Executor(ContainerHandle Container, AgentConnection Agent);

    private readonly SandboxOptions _options = sandboxOptions.Value;
    private readonly SemaphoreSlim _concurrency = new(sandboxOptions.Value.MaxConcurrentExecutions);
    private readonly ConcurrentDictionary<(string Template, int MemoryMb), ConcurrentQueue<Executor>> _idle = new();
    private readonly SandboxRequestValidator _validate = new(sandboxOptions.Value);

    public int IdleCount => _idle.Values.Sum(q => q.Count);

    public IEnumerable<(string Template, int Count)> IdleByTemplate =>
        _idle.GroupBy(kv => kv.Key.Template).Select(g => (g.Key, g.Sum(kv => kv.Value.Count)));

    public async Task<ExecuteResult> ExecuteAsync(ExecuteRequest request, IReadOnlyDictionary<string, TemplateInfo> templates, CancellationToken cancellationToken)
    {
        var language = _validate.Language(request.Language, null);
        if (request.Files is not { Length: > 0 })
        {
            _validate.Code(request.Code);
        }
        else if (request.Files.Length > 64 || request.Files.Sum(f => (long)(f.Content?.Length ?? 0)) > _options.MaxCodeBytes * 4L)
        {
            throw new SandboxValidationException("files", "At most 64 files and 4 MiB of sources per execution.");
        }

        var files = ProgramRunner.FilesOf(language, request.Code, request.Files);
        if (files.Count == 1 && files[0].Content.Length == 0)
        {
            throw new SandboxValidationException("code", "Code is empty.");
        }

        if (request.Args is { Length: > 256 } || request.Args?.Any(a => a is null || a.Contains('\0')) == true)
        {
            throw new SandboxValidationException("args", "At most 256 arguments, none null or containing NUL.");
        }

        var limits = request.Limits ?? new ExecutionLimits();
        var programLimits = new ProgramLimits(
            _validate.RunTimeoutMs(limits.CompileTimeoutMs, _options.DefaultCompileTimeoutMs, "compileTimeoutMs"),
            _validate.RunTimeoutMs(limits.RunTimeoutMs, _options.DefaultRunTimeoutMs, "runTimeoutMs"),
            _validate.MaxOutputBytes(limits.MaxOutputBytes));
        var memoryMb = _validate.MemoryMb(limits.MemoryMb);

        var template = Languages.DefaultTemplate(language);
        var program = new ProgramSpec(language, files, request.Args ?? [], request.Stdin is null ? null : System.Text.Encoding.UTF8.GetBytes(request.Stdin));
        var started = Stopwatch.GetTimestamp();
        await _concurrency.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var executor = Take(template, memoryMb) ?? await StartAsync(template, memoryMb, cancellationToken).ConfigureAwait(false);
            ExecuteResult result;
            try
            {
                result = await ProgramRunner.RunAsync(
                    executor.Agent, AgentProtocol.WorkDirectory, program, executor.Container.ImageEnv, programLimits,
                    () => runtime.ReadOomKillCount(executor.Container), null, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AgentConnectionLostException or AgentErrorException or OperationCanceledException)
            {
                _ = DiscardAsync(executor);
                if (e is OperationCanceledException)
                {
                    throw;
                }

                // The agent exception stays here: only SoulBox exceptions cross the wire.
                throw new SoulBoxException(ErrorCodes.Internal, $"The execution container failed: {e.Message}");
            }

            _ = RecycleAsync(template, memoryMb, executor);
            metrics.Executed("execute", language, result.Status, Stopwatch.GetElapsedTime(started));
            return result with { Version = templates.TryGetValue(template, out var info) ? info.Version : "" };
        }
        finally
        {
            _concurrency.Release();
        }
    }

    private Executor? Take(string template, int memoryMb)
    {
        if (_idle.TryGetValue((template, memoryMb), out var queue))
        {
            while (queue.TryDequeue(out var executor))
            {
                if (!executor.Agent.IsClosed)
                {
                    return executor;
                }

                _ = DiscardAsync(executor);
            }
        }

        return null;
    }

    private async Task<Executor> StartAsync(string template, int memoryMb, CancellationToken cancellationToken)
    {
        var started = await ConnectedContainer.StartAsync(runtime, new ContainerSpec
        {
            Template = template,
            MemoryBytes = memoryMb * 1024L * 1024,
            Cpu = _options.DefaultCpu,
            PidsLimit = _options.PidsLimit,
            WorkDirSizeMb = _options.WorkDirSizeMb,
            TmpSizeMb = _options.TmpSizeMb,
            Purpose = "executor",
        }, TimeSpan.FromSeconds(runtimeOptions.Value.AgentStartTimeoutSeconds), logger, cancellationToken).ConfigureAwait(false);
        return new Executor(started.Container, started.Agent);
    }

    /// <summary>Resets the container after a run and keeps it for the next one, or removes it when the
    /// reset fails or enough idle containers are kept already.</summary>
    private async Task RecycleAsync(string template, int memoryMb, Executor executor)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await executor.Agent.RequestAsync(new ResetRequest(), timeout.Token).ConfigureAwait(false);
            // /dev/shm is a tmpfs of Docker's, outside what the agent wipes; the user owns whatever is in it.
            await executor.Agent.RequestAsync(new ExecRequest
            {
                Argv = ["sh", "-c", "find /dev/shm -mindepth 1 -delete 2>/dev/null; true"],
                Limits = new ExecLimits { TimeoutMs = 5_000 },
            }, timeout.Token).ConfigureAwait(false);
            var queue = _idle.GetOrAdd((template, memoryMb), _ => new ConcurrentQueue<Executor>());
            if (queue.Count < _options.IdleExecutorsPerTemplate && !executor.Agent.IsClosed)
            {
                queue.Enqueue(executor);
                return;
            }
        }
        catch (Exception e)
        {
            LogResetFailed(e, executor.Container.Id);
        }

        await DiscardAsync(executor).ConfigureAwait(false);
    }

    private async Task DiscardAsync(Executor executor)
    {
        await executor.Agent.DisposeAsync().ConfigureAwait(false);
        try
        {
            await runtime.RemoveAsync(executor.Container, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LogResetFailed(e, executor.Container.Id);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var queue in _idle.Values)
        {
            while (queue.TryDequeue(out var executor))
            {
                await DiscardAsync(executor).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Executor container {ContainerId} could not be reset; removing it")]
    private partial void LogResetFailed(Exception exception, string containerId);
}
