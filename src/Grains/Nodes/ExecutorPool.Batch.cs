using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using SoulBox.Agent.Protocol;
using SoulBox.Grains.AgentClient;
using SoulBox.Grains.Compilation;
using SoulBox.Grains.Execution;

namespace SoulBox.Grains.Nodes;

/// <summary>Batches: one program, many test cases, each judged.
/// <para>The batch takes one slot as a one-shot run does (fair share, bounded wait), compiles once through the
/// compile cache (<see cref="BatchCompile"/>), and then takes up to MaxParallelism − 1 more slots, but only ones
/// free right now and within the tenant's share, so a batch never waits for parallelism and never holds more than a
/// tenant may. Each slot is a worker with its own executor, taking cases from one queue. Every case runs in a freshly
/// reset executor (the reset between two cases kills every process of the sandbox user and empties the writable
/// roots, as between two one-shot runs), gets the program's sources and a private copy of the compiled program from
/// the batch's <see cref="CompiledProgram"/>, and runs under its own limits and deadline. So a case sees nothing of
/// another, whether they run one after another in one executor or at once in two.</para></summary>
internal sealed partial class ExecutorPool
{
    /// <summary>Refuses a batch that would be refused anyway before its input files are sent.</summary>
    public void ValidateBatchBeforeFiles(ExecuteBatchRequest request) =>
        Validated(() =>
        {
            _batchValidator.ValidateBeforeFiles(request);
            return true;
        });

    /// <param name="inputs">The batch's staged input files (<see cref="ExecuteBatchRequest.InputSet"/>), or null.</param>
    public async Task<ExecuteBatchResult> ExecuteBatchAsync(
        ExecuteBatchRequest request, string tenant, IReadOnlyDictionary<string, TemplateInfo> templates, BatchInputSet? inputs, CancellationToken cancellationToken)
    {
        var batch = Validated(() => _batchValidator.Validate(request, inputs));
        var program = batch.Program;
        var started = Stopwatch.GetTimestamp();
        List<IDisposable> leases = [await AcquireSlotAsync(tenant, cancellationToken).ConfigureAwait(false)];

        CompiledProgram? compiled = null;
        try
        {
            var compileKey = (program.Template, ExecutorMemoryBuckets.RoundUp(program.MemoryMb, _options.MaxMemoryMb));
            CommandResult? compile = null;
            Executor? spare = null;
            if (program.Compiles)
            {
                var executor = await TakeOrStartAsync(compileKey, cancellationToken).ConfigureAwait(false);
                bool reusable;
                try
                {
                    (compile, compiled, reusable) = await CompileAsync(executor, batch, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    _ = DiscardAsync(executor);
                    throw;
                }

                // A cache hit ran nothing in the executor and wrote nothing: it is as clean as it came.
                if (reusable && (compile.Cached || await ResetAsync(executor).ConfigureAwait(false)))
                {
                    spare = executor;
                }
                else
                {
                    _ = DiscardAsync(executor);
                }

                if (compile.Status != ExecutionStatus.Ok)
                {
                    compile = compile with { Status = ProgramRunner.CompileFailureStatus(compile.Status) };
                    if (spare is not null)
                    {
                        KeepIdle(compileKey, spare);
                    }

                    var notRun = batch.Cases.Select(BatchVerdicts.NotCompiled).ToArray();
                    _metrics.Executed("batch", program.Language, ExecutionStatus.CompileError, Stopwatch.GetElapsedTime(started));
                    return Batch(batch, templates, compile, notRun, Stopwatch.GetElapsedTime(started), parallelism: 0);
                }
            }

            var parallelism = Math.Min(batch.Cases.Count, batch.MaxParallelism);
            while (leases.Count < parallelism && _scheduler.TryAcquire(tenant) is { } extra)
            {
                leases.Add(extra);
            }

            var queue = new ConcurrentQueue<BatchCase>(batch.Cases);
            var results = new TestCaseResult[batch.Cases.Count];
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var workers = new Task[leases.Count];
            for (var i = 0; i < workers.Length; i++)
            {
                workers[i] = RunCasesAsync(batch, compiled, queue, results, i == 0 ? spare : null, compileKey, stop);
            }

            try
            {
                await Task.WhenAll(workers).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // A worker that failed stopped the others: report its failure, not their cancellation.
                var failure = workers.Where(w => w.IsFaulted).SelectMany(w => w.Exception!.InnerExceptions).FirstOrDefault(e => e is not OperationCanceledException);
                if (failure is not null)
                {
                    ExceptionDispatchInfo.Throw(failure);
                }

                throw;
            }

            _metrics.Executed("batch", program.Language, ExecutionStatus.Ok, Stopwatch.GetElapsedTime(started));
            return Batch(batch, templates, compile, results, Stopwatch.GetElapsedTime(started), workers.Length);
        }
        finally
        {
            compiled?.Dispose();
            foreach (var lease in leases)
            {
                lease.Dispose();
            }
        }
    }

    private static ExecuteBatchResult Batch(BatchRun batch, IReadOnlyDictionary<string, TemplateInfo> templates, CommandResult? compile, TestCaseResult[] cases, TimeSpan elapsed, int parallelism) => new()
    {
        Language = batch.Program.Language,
        Version = templates.TryGetValue(batch.Program.Template, out var info) ? info.Version : "",
        Compile = compile,
        Cases = cases,
        Summary = BatchVerdicts.Summarize(cases, elapsed, parallelism),
    };

    /// <summary>The batch's compile under its deadline; the executor is reusable (after a reset) unless the deadline
    /// passed or the agent went away.</summary>
    private async Task<(CommandResult Compile, CompiledProgram? Program, bool Reusable)> CompileAsync(Executor executor, BatchRun batch, CancellationToken cancellationToken)
    {
        var program = batch.Program;
        var started = _time.GetTimestamp();
        using var deadline = new CancellationTokenSource(batch.CompileDeadline(TimeSpan.FromMilliseconds(_options.ExecutionGraceMs)), _time);
        await using var abort = deadline.Token.UnsafeRegister(static e => _ = ((Executor)e!).Agent.DisposeAsync(), executor).ConfigureAwait(false);
        try
        {
            var (compile, compiled) = await BatchCompile.RunAsync(
                executor.Agent, Templates.Home(executor.Container.Template), program.Program, executor.Container.ImageEnv, program.Limits,
                () => _runtime.ReadOomKillCount(executor.Container), new CompileCacheScope(_compileCache, executor.Container.ImageId),
                CompileMemoryOf(executor, program), cancellationToken).ConfigureAwait(false);
            return (compile, compiled, !deadline.IsCancellationRequested && !executor.Agent.IsClosed);
        }
        catch (Exception) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            var elapsed = _time.GetElapsedTime(started);
            LogDeadlinePassed(executor.Container.Id, elapsed.TotalMilliseconds);
            return (new CommandResult
            {
                Status = ExecutionStatus.Timeout,
                Stderr = "The compile did not end within its timeout plus the node's grace; its container was removed.",
                WallTimeMs = elapsed.TotalMilliseconds,
            }, null, false);
        }
        catch (Exception e) when (e is not (SoulBoxException or OperationCanceledException))
        {
            throw new SoulBoxException(ErrorCodes.Internal, $"The execution container failed: {e.Message}");
        }
    }

    /// <summary>One worker of a batch: takes cases from the queue until it is empty, each in a freshly reset
    /// executor of the case's memory bucket. A worker gets its executor before it takes a case: a worker whose
    /// container is still starting leaves the cases to the others meanwhile (a batch of quick cases would otherwise
    /// wait for container starts it does not need), and joins when it is ready. A failure (the agent or container,
    /// not a verdict) stops the other workers and fails the batch.</summary>
    private async Task RunCasesAsync(
        BatchRun batch,
        CompiledProgram? compiled,
        ConcurrentQueue<BatchCase> queue,
        TestCaseResult[] results,
        Executor? executor,
        (string Template, int MemoryMb) key,
        CancellationTokenSource stop)
    {
        // An executor held here is reset (clean) between cases; a run in progress makes it dirty.
        var clean = executor is not null;
        try
        {
            (string, int) KeyOf(BatchCase c) => (batch.Program.Template, ExecutorMemoryBuckets.RoundUp(c.MemoryMb, _options.MaxMemoryMb));
            while (queue.TryPeek(out var next))
            {
                stop.Token.ThrowIfCancellationRequested();
                if (executor is null || KeyOf(next) != key)
                {
                    if (executor is not null)
                    {
                        KeepIdle(key, executor);
                        executor = null;
                    }

                    key = KeyOf(next);
                    executor = await TakeOrStartAsync(key, stop.Token).ConfigureAwait(false);
                    clean = true;
                    // Other workers may have taken the case (or all of them) meanwhile: look again.
                    continue;
                }

                if (!queue.TryDequeue(out var testCase))
                {
                    break;
                }

                if (KeyOf(testCase) != key)
                {
                    // Another worker took the peeked case; this one needs another bucket.
                    KeepIdle(key, executor);
                    executor = null;
                    key = KeyOf(testCase);
                    executor = await TakeOrStartAsync(key, stop.Token).ConfigureAwait(false);
                }

                clean = false;
                var (result, reusable) = await RunCaseAsync(executor, batch, testCase, compiled, stop.Token).ConfigureAwait(false);
                results[testCase.Index] = result;
                _metrics.Executed("batch_case", batch.Program.Language, result.Status, TimeSpan.FromMilliseconds(result.WallTimeMs));
                if (reusable && await ResetAsync(executor).ConfigureAwait(false))
                {
                    clean = true;
                }
                else
                {
                    _ = DiscardAsync(executor);
                    executor = null;
                }
            }
        }
        catch
        {
            await stop.CancelAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            if (executor is not null)
            {
                if (clean)
                {
                    KeepIdle(key, executor);
                }
                else
                {
                    _ = DiscardAsync(executor);
                }
            }
        }
    }

    /// <summary>Runs one case under its deadline (its run timeout plus the grace; plus the compile timeout when it
    /// has to compile for itself). Returns its result and whether the executor may be reset and used again.</summary>
    private async Task<(TestCaseResult Result, bool Reusable)> RunCaseAsync(Executor executor, BatchRun batch, BatchCase testCase, CompiledProgram? compiled, CancellationToken cancellationToken)
    {
        var program = batch.Program;
        var compilesItself = program.Compiles && compiled is null;
        var started = _time.GetTimestamp();
        var budget = TimeSpan.FromMilliseconds((compilesItself ? (long)program.Limits.CompileTimeoutMs : 0) + testCase.Limits.RunTimeoutMs + _options.ExecutionGraceMs);
        using var deadline = new CancellationTokenSource(budget, _time);
        await using var abort = deadline.Token.UnsafeRegister(static e => _ = ((Executor)e!).Agent.DisposeAsync(), executor).ConfigureAwait(false);
        var agent = executor.Agent;
        var directory = Templates.Home(executor.Container.Template);
        Func<long> readOomKills = () => _runtime.ReadOomKillCount(executor.Container);
        try
        {
            var spec = program.Program with { Args = testCase.Args, Stdin = testCase.Stdin };
            var names = await ProgramRunner.WriteSourcesAsync(agent, directory, spec, cancellationToken).ConfigureAwait(false);
            var plan = LanguagePlan.For(program.Language, directory, names[0], names, testCase.Args);
            var env = new Dictionary<string, string>(executor.Container.ImageEnv);
            CommandResult? failedCompile = null;
            if (compiled is not null)
            {
                await using var entry = compiled.Open();
                await CompileOutputTransfer.RestoreAsync(agent, directory, entry, cancellationToken).ConfigureAwait(false);
            }
            else if (compilesItself)
            {
                // The batch's build could not be captured (past the cache's entry bounds): compile here, as a one-shot
                // run would; a compile that fails now is this case's compile error.
                var compileExec = ProgramRunner.Exec(plan.CompileArgv!, directory, env, program.Limits.CompileTimeoutMs, program.Limits.CompileOutputBytes);
                var compile = await CompileMemory.AroundAsync(
                    CompileMemoryOf(executor, program, testCase.MemoryMb), () => AgentExec.RunAsync(agent, compileExec, null, readOomKills, null, cancellationToken),
                    cancellationToken).ConfigureAwait(false);
                failedCompile = compile.Status == ExecutionStatus.Ok ? null : compile with { Status = ExecutionStatus.CompileError };
            }

            var exec = ProgramRunner.Exec(plan.RunArgv, directory, env, testCase.Limits.RunTimeoutMs, testCase.Limits.MaxOutputBytes);
            var run = failedCompile ?? await RunWithStdinAsync(agent, exec, testCase, readOomKills, cancellationToken).ConfigureAwait(false);
            run = WithRequestedMemory(run, testCase.MemoryMb);
            if (run.Status == ExecutionStatus.Cancelled)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            var reusable = !deadline.IsCancellationRequested && !agent.IsClosed;
            // An expected output sent as a file is read only now, one case at a time (it is at most MaxOutputBytes).
            var judged = testCase.ExpectedOutputFile is { } expected
                ? testCase with { ExpectedOutput = await File.ReadAllTextAsync(expected.Path, cancellationToken).ConfigureAwait(false) }
                : testCase;
            return (BatchVerdicts.Result(judged, run, batch.Comparison, _options.BatchResultOutputBytes), reusable);
        }
        catch (Exception) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            var elapsed = _time.GetElapsedTime(started);
            LogDeadlinePassed(executor.Container.Id, elapsed.TotalMilliseconds);
            _metrics.ExecutionRefused("deadline");
            var timedOut = new CommandResult
            {
                Status = ExecutionStatus.Timeout,
                Stderr = "The case did not end within its timeout plus the node's grace; its container was removed.",
                WallTimeMs = elapsed.TotalMilliseconds,
            };
            return (BatchVerdicts.Result(testCase, timedOut, batch.Comparison, _options.BatchResultOutputBytes), false);
        }
        catch (Exception e) when (e is not (SoulBoxException or OperationCanceledException))
        {
            throw new SoulBoxException(ErrorCodes.Internal, $"The execution container failed: {e.Message}");
        }
    }

    /// <summary>Runs the case's program with its input: in one frame when it is small, else streamed to the agent in
    /// chunks, each sent once the one before is in the program's pipe (a staged file is read as it goes).</summary>
    private static async Task<CommandResult> RunWithStdinAsync(AgentConnection agent, ExecRequest exec, BatchCase testCase, Func<long> readOomKills, CancellationToken cancellationToken)
    {
        if (testCase.StdinFile is { } file)
        {
            await using var input = new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, useAsync: true);
            return await AgentExec.RunWithStreamedStdinAsync(agent, exec, input, AgentProtocol.MaxPayloadChunkBytes, readOomKills, cancellationToken).ConfigureAwait(false);
        }

        if (testCase.Stdin is { Length: > AgentProtocol.MaxPayloadChunkBytes } stdin)
        {
            using var input = new MemoryStream(stdin, writable: false);
            return await AgentExec.RunWithStreamedStdinAsync(agent, exec, input, AgentProtocol.MaxPayloadChunkBytes, readOomKills, cancellationToken).ConfigureAwait(false);
        }

        return await AgentExec.RunAsync(agent, exec, testCase.Stdin, readOomKills, null, cancellationToken).ConfigureAwait(false);
    }
}
