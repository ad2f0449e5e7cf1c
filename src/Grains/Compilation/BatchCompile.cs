using SoulBox.Grains.AgentClient;
using SoulBox.Grains.Execution;

namespace SoulBox.Grains.Compilation;

/// <summary>The one compile of a batch, through the node's compile cache: a hit needs no compiler at all (the entry
/// is the program); a miss compiles in the executor it is given (under the compile stage's own memory limit and output cap), captures the declared outputs right after the
/// compile (before any case runs) and stores them, then holds the stored entry open for the cases. When the cache is
/// off, the image id unknown, or the build not kept (past the entry bounds, or another run's identical compile is
/// still storing), the captured build stays in memory instead. Null program: the compile failed, or its outputs
/// could not be captured (then each case compiles for itself, as a one-shot run would).</summary>
internal static class BatchCompile
{
    public static async Task<(CommandResult Compile, CompiledProgram? Program)> RunAsync(
        AgentConnection agent,
        string directory,
        ProgramSpec program,
        IReadOnlyDictionary<string, string> env,
        ProgramLimits limits,
        Func<long> readOomKills,
        CompileCacheScope scope,
        CompileMemory? compileMemory,
        CancellationToken cancellationToken)
    {
        var names = program.Files.Select(f => f.Name).ToList();
        var plan = LanguagePlan.For(program.Language, directory, names[0], names, []);
        var exec = ProgramRunner.Exec(plan.CompileArgv!, directory, new Dictionary<string, string>(env), limits.CompileTimeoutMs, limits.CompileOutputBytes);
        var cached = scope.Cache.Enabled && scope.ImageId.Length > 0 && plan.CompileOutputs.Length > 0;
        var key = cached ? CompileKey.Of(program.Language, scope.ImageId, directory, exec.Argv!, env, plan.CompileOutputs, program.Files) : null;
        var timeoutMs = (long)limits.CompileTimeoutMs;
        CompileLookup? lookup = null;
        try
        {
            if (key is not null)
            {
                lookup = await scope.Cache.LookupAsync(key, program.Language, TimeSpan.FromMilliseconds(limits.CompileTimeoutMs), cancellationToken).ConfigureAwait(false);
                if (lookup.Entry is not null && ReplayedCompile(lookup, limits) is { } replayed)
                {
                    var hit = CompiledProgram.OfCacheEntry(lookup);
                    lookup = null;
                    return (replayed, hit);
                }

                timeoutMs = ProgramRunner.CompileTimeLeftMs(lookup, limits);
                if (timeoutMs <= 0)
                {
                    return (ProgramRunner.WaitedPastCompileTimeout(lookup), null);
                }
            }

            await ProgramRunner.WriteSourcesAsync(agent, directory, program, cancellationToken).ConfigureAwait(false);
            var compile = await CompileMemory.AroundAsync(
                compileMemory, () => AgentExec.RunAsync(agent, exec with { Limits = exec.Limits with { TimeoutMs = (int)timeoutMs } }, null, readOomKills, null, cancellationToken),
                cancellationToken).ConfigureAwait(false);
            if (compile.Status != ExecutionStatus.Ok)
            {
                return (compile, null);
            }

            // Captured whatever the compiler printed (the cache alone refuses a build whose output was cut).
            var outputs = await CompileOutputTransfer.CaptureAsync(
                agent, directory, plan.CompileOutputs, compile with { StdoutTruncated = false, StderrTruncated = false }, scope.Cache.Options, cancellationToken).ConfigureAwait(false);
            if (outputs is null)
            {
                return (compile, null);
            }

            if (lookup is { CanStore: true } && !compile.StdoutTruncated && !compile.StderrTruncated
                && await lookup.StoreAsync(outputs, cancellationToken).ConfigureAwait(false))
            {
                // Stored: let identical runs waiting for it go on, then hold the entry itself for the cases.
                lookup.Dispose();
                lookup = await scope.Cache.LookupAsync(key!, program.Language, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
                if (lookup.Entry is not null)
                {
                    var stored = CompiledProgram.OfCacheEntry(lookup);
                    lookup = null;
                    return (compile, stored);
                }
            }

            using var memory = new MemoryStream();
            await CompileEntryFile.WriteAsync(memory, outputs, cancellationToken).ConfigureAwait(false);
            return (compile, CompiledProgram.InMemory(memory.ToArray()));
        }
        finally
        {
            lookup?.Dispose();
        }
    }

    /// <summary>The compile stage a hit reports (the first compile's output, zero times), or null when the entry is
    /// damaged: then the batch compiles.</summary>
    private static CommandResult? ReplayedCompile(CompileLookup hit, ProgramLimits limits)
    {
        try
        {
            return ProgramRunner.CachedCompile(CompileEntryFile.ReadHeader(hit.Entry!), limits);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
        {
            return null;
        }
    }
}
