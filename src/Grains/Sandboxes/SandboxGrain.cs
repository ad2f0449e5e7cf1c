using System.Buffers.Text;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using SoulBox.Agent.Protocol;
using SoulBox.Grains.AgentClient;
using SoulBox.Grains.Containers;
using SoulBox.Grains.Execution;
using SoulBox.Grains.Hosting;
using SoulBox.Grains.Nodes;
using SoulBox.Grains.Placement;
using SoulBox.Grains.Pool;
using SoulBox.Grains.State;
using SoulBox.Grains.Telemetry;

namespace SoulBox.Grains.Sandboxes;

/// <summary>One sandbox: owns one container on this node and the persistent connection to its agent.
/// Reentrant, so a file read can run while code runs; the agent multiplexes them.</summary>
[NodePinnedPlacement, Reentrant]
internal sealed partial class SandboxGrain(
    IContainerRuntime runtime,
    NodeIdentity node,
    IOptions<SandboxOptions> sandboxOptions,
    IOptions<ContainerRuntimeOptions> runtimeOptions,
    SandboxRegistry registry,
    SandboxLedger ledger,
    WarmContainerPool pool,
    DemandPredictor demand,
    SoulBoxMetrics metrics,
    RetainedOutputBudget outputBudget,
    ContainerStarts starts,
    NodeDrain drain,
    TemplateDefinitions templates,
    TimeProvider time,
    ILogger<SandboxGrain> logger) : Grain, ISandboxGrain, IDrainableSandboxGrain
{
    private readonly SandboxRequestValidator _validate = new(sandboxOptions.Value, templates);
    private readonly SandboxOptions _options = sandboxOptions.Value;
    private SandboxInfo? _info;
    private ContainerHandle? _container;
    private AgentConnection? _agent;
    private IReadOnlyDictionary<string, string> _env = new Dictionary<string, string>();
    private string? _lostReason;
    private IGrainTimer? _expiry;
    private int _runs;

    // The container's OOM-kill count when a kernel run last looked (-1: not yet): a run that ends in an error
    // with the count above it was ended by the OOM killer.
    private long _oomKillsSeen = -1;
    private int _inFlight;

    /// <summary>Largest chunk of one WriteFileAsync call: large uploads arrive as several appends.</summary>
    private const int MaxWriteBytes = 4 * AgentProtocol.MaxPayloadChunkBytes;

    private string Id => this.GetPrimaryKeyString();

    public async Task<SandboxInfo> CreateAsync(SandboxCreateOptions options, CancellationToken cancellationToken = default)
    {
        ThrowIfMisplaced();
        if (_info is not null)
        {
            return _info;
        }

        if (registry.Ended(Id) is not null)
        {
            throw new SandboxValidationException("id", $"Sandbox '{Id}' already ended; ids are not reused.");
        }

        if (drain.IsDraining)
        {
            // Nothing started yet: the factory places the sandbox on another node.
            DeactivateOnIdle();
            throw new NodeDrainingException(node.Name, $"Node '{node.Name}' is draining and takes no new sandboxes; retry after the Retry-After seconds.");
        }

        var request = _validate.Create(options);
        if (registry.Count >= _options.MaxSandboxesPerNode)
        {
            throw new NoCapacityException($"Node '{node.Name}' already runs {registry.Count} sandboxes (its limit).");
        }

        var started = Stopwatch.GetTimestamp();
        demand.Record(request.Template);
        var warm = pool.TryClaim(request.Template, request.MemoryMb!.Value, request.Cpu!.Value);
        var (container, agent) = warm is not null ? (warm.Container, warm.Agent) : await StartContainerAsync(request, cancellationToken);
        _agent = agent;
        _container = container;
        var env = new Dictionary<string, string>(container.ImageEnv);
        foreach (var (key, value) in request.Env ?? [])
        {
            env[key] = value;
        }

        foreach (var name in options.SandboxIdEnv ?? [])
        {
            env[name] = Id;
        }

        _env = env;
        var now = time.GetUtcNow();
        _info = new SandboxInfo
        {
            Id = Id,
            Template = request.Template,
            Node = node.Name,
            CreatedAt = now,
            ExpiresAt = now.AddSeconds(request.TimeoutSeconds!.Value),
            Metadata = request.Metadata is null ? [] : new Dictionary<string, string>(request.Metadata),
            Cpu = request.Cpu.Value,
            MemoryMb = request.MemoryMb.Value,
            Tenant = request.Tenant,
            ContainerId = container.Id,
            WarmStart = warm is not null,
            AccessToken = Base64Url.EncodeToString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
        };
        registry.Upsert(_info);
        ledger.Live(_info);
        ScheduleExpiry();
        WatchAgent(_agent);
        metrics.SandboxCreated(request.Template, Stopwatch.GetElapsedTime(started), fromPool: warm is not null, ContainerLabels.ShortImageId(container.ImageId));
        LogCreated(Id, request.Template, container.Id[..12], Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return _info;
    }

    private async Task<(ContainerHandle, AgentConnection)> StartContainerAsync(SandboxCreateOptions request, CancellationToken cancellationToken)
    {
        try
        {
            return await StartContainerCoreAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            // The engine's socket refused or dropped the call (engine restarting or down): a node without an engine has
            // no capacity, which the caller can retry elsewhere (503), not an internal error.
            throw new NoCapacityException($"Node '{node.Name}' cannot reach its Docker engine ({e.Message}).");
        }
    }

    private async Task<(ContainerHandle, AgentConnection)> StartContainerCoreAsync(SandboxCreateOptions request, CancellationToken cancellationToken)
    {
        var started = await ConnectedContainer.StartAsync(runtime, new ContainerSpec
        {
            Template = request.Template,
            MemoryBytes = request.MemoryMb!.Value * 1024L * 1024,
            Cpu = request.Cpu!.Value,
            PidsLimit = _options.PidsLimit,
            WorkDirSizeMb = _options.WorkDirSizeMb,
            TmpSizeMb = _options.TmpSizeMb,
            SandboxId = Id,
        }, TimeSpan.FromSeconds(runtimeOptions.Value.AgentStartTimeoutSeconds), logger, starts, cancellationToken);
        return (started.Container, started.Agent);
    }

    public Task<SandboxInfo> GetInfoAsync()
    {
        if (_info is null)
        {
            return FailUnknownAsync<SandboxInfo>();
        }

        EnsureRunning();
        return Task.FromResult(_info);
    }

    public Task<CodeRunResult> RunCodeAsync(CodeRunRequest request, CancellationToken cancellationToken = default) =>
        RunEvents.FinalAsync(RunCodeStreamAsync(request, cancellationToken), e => e.CodeResult);

    public IAsyncEnumerable<RunEvent> RunCodeStreamAsync(CodeRunRequest request, CancellationToken cancellationToken = default)
    {
        if (_info is null)
        {
            return UnknownStream<RunEvent>();
        }

        var agent = EnsureRunning();
        var code = _validate.Code(request.Code);
        var language = _validate.Language(request.Language, templates.DefaultLanguage(_info!.Template));
        if (!templates.Supports(_info.Template, language))
        {
            throw new SandboxValidationException("language", $"A '{_info.Template}' sandbox runs {string.Join(", ", templates.LanguagesOf(_info.Template))} or bash, not {language}.");
        }

        var timeoutMs = _validate.RunTimeoutMs(request.TimeoutMs, _options.DefaultRunTimeoutMs);
        _validate.Pairs(request.Env, "env", requireEnvName: true);
        var env = Merge(request.Env);
        var events = Languages.IsStateful(language)
            ? KernelRunAsync(agent, new RunCodeRequest(code, language, request.ContextId, env, timeoutMs), cancellationToken)
            : ProgramRunAsync(agent, language, code, env, timeoutMs, cancellationToken);
        return Guard(Measure(events, language));
    }

    public async Task<string> CreateContextAsync(string language, CancellationToken cancellationToken = default)
    {
        await ThrowIfUnknownAsync();
        var agent = EnsureRunning();
        var canonical = ContextLanguage(language);
        var created = await Call(() => agent.RequestAsync(new CreateContextRequest(canonical, null), cancellationToken));
        return ((ContextCreatedEvent)created).ContextId;
    }

    public async Task DeleteContextAsync(string contextId, CancellationToken cancellationToken = default)
    {
        await ThrowIfUnknownAsync();
        var agent = EnsureRunning();
        await Call(() => agent.RequestAsync(new DeleteContextRequest(contextId), cancellationToken));
    }

    public Task<CommandResult> RunCommandAsync(CommandRequest request, CancellationToken cancellationToken = default) =>
        RunEvents.FinalAsync(RunCommandStreamAsync(request, cancellationToken), e => e.CommandResult);

    public IAsyncEnumerable<RunEvent> RunCommandStreamAsync(CommandRequest request, CancellationToken cancellationToken = default)
    {
        if (_info is null)
        {
            return UnknownStream<RunEvent>();
        }

        var agent = EnsureRunning();
        if ((request.Cmd is null) == (request.Argv is null) || (request.Cmd is not null && string.IsNullOrWhiteSpace(request.Cmd)) || (request.Argv is not null && (request.Argv.Length == 0 || string.IsNullOrEmpty(request.Argv[0]))))
        {
            throw new SandboxValidationException("cmd", "Give either cmd (a shell command) or argv (a non-empty argument list), not both.");
        }

        _validate.Code(request.Cmd ?? string.Join(' ', request.Argv!), request.Cmd is null ? "argv" : "cmd");
        _validate.Pairs(request.Env, "env", requireEnvName: true);
        CheckCommandSize(request);
        var exec = new ExecRequest
        {
            Argv = request.Argv,
            Shell = request.Cmd,
            Cwd = request.Cwd is null ? null : FileNames.ValidatePath(request.Cwd, "cwd"),
            Env = Merge(request.Env),
            Limits = new ExecLimits
            {
                TimeoutMs = _validate.RunTimeoutMs(request.TimeoutMs, _options.DefaultRunTimeoutMs),
                MaxOutputBytesPerStream = _validate.MaxOutputBytes(request.MaxOutputBytes),
            },
        };
        return Guard(Measure(CommandRunAsync(agent, exec, request.Stdin, cancellationToken), Languages.Shell));
    }

    /// <summary>Stdin and the command travel to the agent in one frame: too large is a 413 naming the limit, before any
    /// work (an oversized frame would otherwise fail deep in the connection as an internal error).</summary>
    private void CheckCommandSize(CommandRequest request)
    {
        var stdin = request.Stdin?.Length ?? 0;
        _validate.StdinBytes(stdin);

        static long Bytes(string? value) => value is null ? 0 : System.Text.Encoding.UTF8.GetByteCount(value);
        var total = stdin + Bytes(request.Cmd) + (request.Argv?.Sum(a => Bytes(a) + 1) ?? 0) + Bytes(request.Cwd)
            + (request.Env?.Sum(e => Bytes(e.Key) + Bytes(e.Value) + 8) ?? 0);
        var budget = AgentProtocol.MaxFrameBytes - 64 * 1024;
        if (total > budget)
        {
            throw new RequestTooLargeException("request", budget,
                $"The command, its environment and stdin are {total} bytes together; at most {budget} bytes fit one request.");
        }
    }

    public IAsyncEnumerable<byte[]> ReadFileAsync(string path, CancellationToken cancellationToken = default)
    {
        if (_info is null)
        {
            return UnknownStream<byte[]>();
        }

        var agent = EnsureRunning();
        FileNames.ValidatePath(path);
        return Guard(ReadChunksAsync(agent, path, cancellationToken), path);
    }

    public async Task<SandboxFileInfo> WriteFileAsync(string path, byte[] content, bool append, CancellationToken cancellationToken = default)
    {
        await ThrowIfUnknownAsync();
        var agent = EnsureRunning();
        FileNames.ValidatePath(path);
        if (content.Length > MaxWriteBytes)
        {
            throw new SandboxValidationException("content", $"Write at most {MaxWriteBytes} bytes per call; append the rest.");
        }

        var entry = await Call(() => AgentFiles.WriteAsync(agent, path, content, append, cancellationToken), path);
        return AgentErrors.ToFileInfo(entry);
    }

    public async Task<SandboxFileInfo[]> ListFilesAsync(string path, CancellationToken cancellationToken = default)
    {
        await ThrowIfUnknownAsync();
        var agent = EnsureRunning();
        FileNames.ValidatePath(path);
        var list = await Call(() => agent.RequestAsync(new ListFilesRequest(path), cancellationToken), path);
        return [.. ((FileListEvent)list).Entries.Select(AgentErrors.ToFileInfo)];
    }

    public async Task<SandboxFileInfo> StatFileAsync(string path, CancellationToken cancellationToken = default)
    {
        await ThrowIfUnknownAsync();
        var agent = EnsureRunning();
        FileNames.ValidatePath(path);
        return AgentErrors.ToFileInfo(await Call(() => StatAsync(agent, path, cancellationToken), path));
    }

    public async Task MakeDirectoryAsync(string path, CancellationToken cancellationToken = default)
    {
        await ThrowIfUnknownAsync();
        var agent = EnsureRunning();
        FileNames.ValidatePath(path);
        await Call(() => agent.RequestAsync(new MakeDirectoryRequest(path), cancellationToken), path);
    }

    public async Task RemoveFileAsync(string path, bool recursive, CancellationToken cancellationToken = default)
    {
        await ThrowIfUnknownAsync();
        var agent = EnsureRunning();
        FileNames.ValidatePath(path);
        await Call(() => agent.RequestAsync(new RemoveFileRequest(path, recursive), cancellationToken), path);
    }

    public async Task<SandboxInfo> SetTimeoutAsync(int seconds)
    {
        await ThrowIfUnknownAsync();
        EnsureRunning();
        _validate.LifetimeSeconds(seconds, "timeoutSeconds");
        _info = _info! with { ExpiresAt = time.GetUtcNow().AddSeconds(seconds) };
        registry.Upsert(_info);
        ledger.Live(_info);
        ScheduleExpiry();
        return _info;
    }

    public async Task KillAsync()
    {
        await ThrowIfUnknownAsync();
        if (registry.Ended(Id) is not null)
        {
            EnsureRunning();
            return;
        }

        await EndAsync(SandboxEnd.Killed, "killed by a caller");
    }

    public Task EndDrainedAsync(string reason) => EndAsync(SandboxEnd.Drained, reason);

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // A sandbox never outlives its activation: on shutdown or any other deactivation its container goes too.
        if (_info is not null && registry.Ended(Id) is null)
        {
            await EndAsync(SandboxEnd.Lost, $"its grain was deactivated ({reason.Description})");
        }
    }

    private async IAsyncEnumerable<RunEvent> CommandRunAsync(AgentConnection agent, ExecRequest exec, byte[]? stdin, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var budget = outputBudget.Open(_info!.Tenant);
        await foreach (var item in AgentExec.StreamAsync(agent, exec, stdin, ReadOomKills, budget, cancellationToken))
        {
            yield return item;
        }
    }

    private async IAsyncEnumerable<RunEvent> KernelRunAsync(AgentConnection agent, RunCodeRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The agent caps a kernel run's output itself; the silo holds it to the node's largest cap whatever the agent sends.
        using var budget = outputBudget.Open(_info!.Tenant);
        var collector = new OutputCollector(_options.MaxOutputBytes, budget);
        // The OOM counter is a cgroup file: read once per sandbox, then only after a run that did not end cleanly
        // (an OOM kill ends the kernel), not twice per run on the hot path.
        if (_oomKillsSeen < 0)
        {
            _oomKillsSeen = ReadOomKills();
        }

        var results = new RichResultCollector(budget);
        await foreach (var frame in agent.StreamAsync(request, default, cancellationToken))
        {
            switch (frame.Header)
            {
                case OutputEvent output when collector.Add(output.Stream, frame.Payload) is { } chunk:
                    yield return chunk;
                    break;
                case ResultEvent when results.Add(frame.Payload) is { } display:
                    yield return display;
                    break;
                case CodeResultEvent result:
                    var oom = false;
                    if (result.Error is not null || result.TimedOut || result.Cancelled)
                    {
                        var kills = ReadOomKills();
                        oom = kills > _oomKillsSeen;
                        _oomKillsSeen = kills;
                    }

                    result = result with
                    {
                        StdoutTruncated = result.StdoutTruncated || collector.StdoutTruncated,
                        StderrTruncated = result.StderrTruncated || collector.StderrTruncated,
                    };
                    yield return new RunEvent
                    {
                        CodeResult = new CodeRunResult
                        {
                            Stdout = collector.Stdout,
                            Stderr = collector.Stderr,
                            Value = result.Value,
                            Error = result.Error is null ? null : new CodeRunError { Name = result.Error.Name, Value = result.Error.Value, Traceback = result.Error.Traceback },
                            Status = RunOutcome.Classify(result, oom),
                            StdoutTruncated = result.StdoutTruncated,
                            StderrTruncated = result.StderrTruncated,
                            WallTimeMs = result.WallTimeMs,
                            Results = results.Final(result.Value, result.Data),
                        },
                    };
                    break;
            }
        }
    }

    private async IAsyncEnumerable<RunEvent> ProgramRunAsync(AgentConnection agent, string language, string code, Dictionary<string, string> env, int timeoutMs, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Compiled languages and shell code run as a fresh program in a directory of their own, removed afterwards.
        var directory = $"/tmp/.soulbox-runs/{Interlocked.Increment(ref _runs)}";
        // Bounded: a slow consumer holds the runner up (and through the agent's credit, the program), not the heap.
        var output = Channel.CreateBounded<RunEvent>(new BoundedChannelOptions(16) { SingleReader = true, SingleWriter = true });
        var program = new ProgramSpec(language, ProgramRunner.FilesOf(language, code, null), [], null);
        var limits = new ProgramLimits(Math.Max(timeoutMs, _options.DefaultCompileTimeoutMs), timeoutMs, _options.DefaultMaxOutputBytes);
        var run = Task.Run(async () =>
        {
            try
            {
                // No compile cache: a sandbox's files outlive its runs and can change what a build writes (Go's build
                // cache and GOPATH under /tmp, both the user's), so its builds are neither reused nor kept.
                return await ProgramRunner.RunAsync(agent, directory, program, env, limits, ReadOomKills, e => output.Writer.WriteAsync(e, cancellationToken), compileCache: null, compileMemory: null, cancellationToken);
            }
            finally
            {
                output.Writer.TryComplete();
            }
        }, CancellationToken.None);

        await foreach (var item in output.Reader.ReadAllAsync(CancellationToken.None))
        {
            yield return item;
        }

        var result = await run;
        try
        {
            await agent.RequestAsync(new RemoveFileRequest(directory, Recursive: true), CancellationToken.None);
        }
        catch (AgentErrorException)
        {
            // The run may have removed its own directory; nothing is left to clean.
        }

        yield return new RunEvent
        {
            CodeResult = new CodeRunResult
            {
                Stdout = result.Stdout,
                Stderr = result.Stderr,
                Status = result.Status,
                ExitCode = result.ExitCode,
                WallTimeMs = result.WallTimeMs,
                StdoutTruncated = result.Run?.StdoutTruncated ?? false,
                StderrTruncated = result.Run?.StderrTruncated ?? false,
                Error = result.Status switch
                {
                    ExecutionStatus.Ok => null,
                    ExecutionStatus.CompileError => new CodeRunError { Name = "CompileError", Value = result.Stderr.Trim() },
                    ExecutionStatus.Timeout => new CodeRunError { Name = "TimeoutError", Value = $"Execution exceeded {timeoutMs} ms." },
                    _ => new CodeRunError { Name = "RuntimeError", Value = result.Signal is { } signal ? $"Killed by signal {signal}." : $"Exited with code {result.ExitCode}." },
                },
            },
        };
    }

    private async IAsyncEnumerable<byte[]> ReadChunksAsync(AgentConnection agent, string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Checked up front so an honest large file fails before its first byte, and counted while streaming for a
        // FIFO, a device or a file that grows, whose size says nothing.
        var max = _options.MaxDownloadBytes;
        var entry = await StatAsync(agent, path, cancellationToken);
        if (!entry.IsDirectory && entry.Size > max)
        {
            throw TooLarge(path, $"has {entry.Size} bytes");
        }

        long sent = 0;
        await foreach (var frame in agent.StreamAsync(new ReadFileRequest(path), default, cancellationToken))
        {
            if (frame.Header is FileDataEvent)
            {
                sent += frame.Payload.Length;
                if (sent > max)
                {
                    throw TooLarge(path, "grew past it while it was read");
                }

                yield return frame.Payload;
            }
        }
    }

    private SoulBoxException TooLarge(string path, string why) =>
        new(ErrorCodes.TooLarge, $"'{path}' {why}; downloads are limited to {_options.MaxDownloadBytes} bytes (SoulBox:Sandbox:MaxDownloadBytes).");

    /// <summary>Takes one of this sandbox's in-flight slots (<see cref="SandboxOptions.MaxRequestsInFlight"/>) or
    /// refuses the request; dispose the slot when the request has ended.</summary>
    private InFlightSlot Admit()
    {
        var max = _options.MaxRequestsInFlight;
        if (Interlocked.Increment(ref _inFlight) > max && max > 0)
        {
            Interlocked.Decrement(ref _inFlight);
            throw new TooManyRequestsException($"Sandbox '{Id}' already runs {max} requests at once (SoulBox:Sandbox:MaxRequestsInFlight); retry when one has finished.");
        }

        return new InFlightSlot(this);
    }

    private readonly struct InFlightSlot(SandboxGrain grain) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref grain._inFlight);
    }

    private static async Task<AgentFileEntry> StatAsync(AgentConnection agent, string path, CancellationToken cancellationToken) =>
        ((FileStatEvent)await agent.RequestAsync(new StatFileRequest(path), cancellationToken)).Entry;

    /// <summary>Passes the enumerator's token on: Orleans cancels a streaming call through it when the caller leaves
    /// (an HTTP client that closed its SSE or NDJSON stream), and that must reach the agent to stop the run.</summary>
    private async IAsyncEnumerable<RunEvent> Measure(IAsyncEnumerable<RunEvent> events, string language, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        await foreach (var item in events.WithCancellation(cancellationToken))
        {
            if ((item.CodeResult?.Status ?? item.CommandResult?.Status) is { } status)
            {
                metrics.Executed(item.CodeResult is null ? "command" : "code", language, status, Stopwatch.GetElapsedTime(started));
            }

            yield return item;
        }
    }

    /// <summary>Translates agent failures into SoulBox errors while streaming (a yield cannot sit in a try with a catch).</summary>
    private async IAsyncEnumerable<T> Guard<T>(IAsyncEnumerable<T> source, string? path = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var slot = Admit();
        var enumerator = source.GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                T current;
                try
                {
                    if (!await enumerator.MoveNextAsync())
                    {
                        yield break;
                    }

                    current = enumerator.Current;
                }
                catch (Exception e) when (Translate(e, path) is { } translated)
                {
                    throw translated;
                }

                yield return current;
            }
        }
        finally
        {
            await enumerator.DisposeAsync();
        }
    }

    private async Task<T> Call<T>(Func<Task<T>> call, string? path = null)
    {
        using var slot = Admit();
        try
        {
            return await call();
        }
        catch (Exception e) when (Translate(e, path) is { } translated)
        {
            throw translated;
        }
    }

    private Exception? Translate(Exception e, string? path) => e switch
    {
        // A run the agent could not kill may still be running: the sandbox is no longer what its caller
        // thinks it is, so it is given up (container removed) rather than kept with a live runaway.
        AgentErrorException { Code: AgentErrorCodes.KillFailed } error => Lose($"a run could not be killed ({error.Message})"),
        AgentErrorException error => AgentErrors.ToSoulBox(error, path),
        AgentConnectionLostException lost => Lose(lost.Message),
        _ => null,
    };

    private SandboxLostException Lose(string reason)
    {
        if (_lostReason is null && _info is not null && registry.Ended(Id) is null)
        {
            _lostReason = reason;
            metrics.SandboxLost(_info.Template);
            LogLost(Id, reason);
            _ = EndAsync(SandboxEnd.Lost, reason);
        }

        return new SandboxLostException(Id, _lostReason ?? reason);
    }

    /// <summary>Throws the error that says why this sandbox cannot take calls, or returns its agent.</summary>
    private AgentConnection EnsureRunning()
    {
        ThrowIfMisplaced();
        if (registry.Ended(Id) is { } ended)
        {
            throw ended.ToException(Id);
        }

        if (_info is null || _agent is null)
        {
            DeactivateOnIdle();
            throw new SandboxNotFoundException(Id);
        }

        return _agent;
    }

    private async Task ThrowIfUnknownAsync()
    {
        if (_info is null)
        {
            throw await UnknownAsync();
        }
    }

    private async Task<T> FailUnknownAsync<T>() => throw await UnknownAsync();

    private async IAsyncEnumerable<T> UnknownStream<T>()
    {
        foreach (var item in await FailUnknownAsync<T[]>())
        {
            yield return item;
        }
    }

    /// <summary>Why an activation that holds no sandbox cannot serve the id it was asked for. The id may be one an
    /// earlier start of this node, or another node, hosted: this node's own memory first, then the cluster state,
    /// which outlives restarts and knows how it ended, or that it was live on a start of its node that is gone.</summary>
    private async Task<SoulBoxException> UnknownAsync()
    {
        var owner = SandboxIds.NodeOf(Id);
        DeactivateOnIdle();
        if (owner is null)
        {
            return new SandboxNotFoundException(Id);
        }

        if (registry.Ended(Id) is { } ended)
        {
            return ended.ToException(Id);
        }

        var stored = await ledger.FindAsync(Id);
        if (stored?.Ended is { } storedEnd)
        {
            return storedEnd.ToException(Id);
        }

        if (owner != node.Name)
        {
            // The placement director only lands a sandbox here when its own node is not in the cluster.
            return new SandboxLostException(Id, $"its node '{owner}' is no longer in the cluster");
        }

        return stored is null ? new SandboxNotFoundException(Id) : new SandboxLostException(Id, $"its node '{owner}' restarted");
    }

    private void ThrowIfMisplaced()
    {
        var owner = SandboxIds.NodeOf(Id);
        if (owner is null)
        {
            DeactivateOnIdle();
            throw new SandboxNotFoundException(Id);
        }

        if (owner != node.Name)
        {
            // The placement director only lands a sandbox here when its own node is not in the cluster.
            DeactivateOnIdle();
            throw new SandboxLostException(Id, $"its node '{owner}' is no longer in the cluster");
        }
    }

    private void ScheduleExpiry()
    {
        _expiry?.Dispose();
        var due = _info!.ExpiresAt - time.GetUtcNow();
        _expiry = this.RegisterGrainTimer(
            _ => EndAsync(SandboxEnd.Expired, "its lifetime ended"),
            new GrainTimerCreationOptions(due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan) { Interleave = true, KeepAlive = true });
    }

    private void WatchAgent(AgentConnection agent) =>
        // Runs on this activation's scheduler: the agent's connection dropping means the container died.
        agent.Closed.ContinueWith(
            t => { if (ReferenceEquals(agent, _agent)) Lose($"the container stopped ({t.Result})"); },
            CancellationToken.None,
            TaskContinuationOptions.None,
            TaskScheduler.Current);

    private async Task EndAsync(SandboxEnd how, string reason)
    {
        if (_info is null || registry.Ended(Id) is not null && how != SandboxEnd.Lost)
        {
            return;
        }

        var wasLive = registry.Ended(Id) is null;
        registry.End(Id, how, reason);
        if (wasLive)
        {
            metrics.SandboxEnded(_info.Template);
            LogEnded(Id, how, reason);
            await ledger.EndedAsync(_info, registry.Ended(Id)!);
        }

        _expiry?.Dispose();
        var agent = _agent;
        var container = _container;
        _agent = null;
        _container = null;
        if (agent is not null)
        {
            await agent.DisposeAsync();
        }

        if (container is not null)
        {
            try
            {
                await runtime.RemoveAsync(container, CancellationToken.None);
            }
            catch (Exception e)
            {
                LogRemoveFailed(e, container.Id);
            }
        }

        DeactivateOnIdle();
    }

    private Dictionary<string, string> Merge(IReadOnlyDictionary<string, string>? extra)
    {
        var env = new Dictionary<string, string>(_env);
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            env[key] = value;
        }

        return env;
    }

    private long ReadOomKills() => _container is { } c ? runtime.ReadOomKillCount(c) : 0;

    [LoggerMessage(1, LogLevel.Information, "Sandbox {SandboxId} created from {Template} in container {ContainerId} in {ElapsedMs:F0} ms")]
    private partial void LogCreated(string sandboxId, string template, string containerId, double elapsedMs);

    [LoggerMessage(2, LogLevel.Warning, "Sandbox {SandboxId} lost: {Reason}")]
    private partial void LogLost(string sandboxId, string reason);

    [LoggerMessage(3, LogLevel.Information, "Sandbox {SandboxId} ended ({How}): {Reason}")]
    private partial void LogEnded(string sandboxId, SandboxEnd how, string reason);

    [LoggerMessage(4, LogLevel.Warning, "Removing container {ContainerId} failed")]
    private partial void LogRemoveFailed(Exception exception, string containerId);
}
