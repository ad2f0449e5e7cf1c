using System.Text;
using SoulBox.Agent.Protocol;
using SoulBox.Grains.AgentClient;
using SoulBox.Grains.Compilation;

namespace SoulBox.Grains.Execution;

/// <summary>A program to run once: its files (the first is the entry point), arguments and stdin.</summary>
internal sealed record ProgramSpec(string Language, IReadOnlyList<(string Name, byte[] Content)> Files, IReadOnlyList<string> Args, byte[]? Stdin);

/// <summary>Limits of a program run, resolved against the node's defaults. The compile stage has its own output cap
/// (<paramref name="CompileMaxOutputBytes"/>, else the run's) and, in one-shot executors, its own memory limit
/// (<paramref name="CompileMemoryMb"/>, applied through <see cref="CompileMemory"/>; null: the container's).</summary>
internal sealed record ProgramLimits(int CompileTimeoutMs, int RunTimeoutMs, long MaxOutputBytes, long? CompileMaxOutputBytes = null, int? CompileMemoryMb = null)
{
    /// <summary>The compiler's per-stream output cap.</summary>
    public long CompileOutputBytes => CompileMaxOutputBytes ?? MaxOutputBytes;
}

/// <summary>Writes a program's files into a directory of a container, compiles it (Go, Java) and runs it,
/// all through the agent. Used for one-shot executions and for compiled languages in sandboxes. With a
/// <see cref="CompileCacheScope"/> (one-shot runs only) a compile whose outputs the node's cache holds is skipped:
/// the entry is copied into the directory instead.</summary>
internal static class ProgramRunner
{
    public static async Task<ExecuteResult> RunAsync(
        AgentConnection agent,
        string directory,
        ProgramSpec program,
        IReadOnlyDictionary<string, string> env,
        ProgramLimits limits,
        Func<long> readOomKills,
        Func<RunEvent, ValueTask>? onOutput,
        CompileCacheScope? compileCache,
        CompileMemory? compileMemory,
        CancellationToken cancellationToken)
    {
        var names = await WriteSourcesAsync(agent, directory, program, cancellationToken).ConfigureAwait(false);
        var plan = LanguagePlan.For(program.Language, directory, names[0], names, program.Args);
        var envCopy = new Dictionary<string, string>(env);
        CommandResult? compile = null;
        if (plan.CompileArgv is not null)
        {
            var exec = Exec(plan.CompileArgv, directory, envCopy, limits.CompileTimeoutMs, limits.CompileOutputBytes);
            compile = compileCache is { Cache.Enabled: true, ImageId.Length: > 0 } && plan.CompileOutputs.Length > 0
                ? await CompileThroughCacheAsync(agent, directory, program, plan, exec, env, limits, readOomKills, compileCache, compileMemory, cancellationToken).ConfigureAwait(false)
                : await CompileMemory.AroundAsync(compileMemory, () => AgentExec.RunAsync(agent, exec, null, readOomKills, null, cancellationToken), cancellationToken).ConfigureAwait(false);
            if (compile.Status != ExecutionStatus.Ok)
            {
                return Result(program.Language, CompileFailureStatus(compile.Status), compile, compile, run: null);
            }
        }

        var run = await AgentExec.RunAsync(agent, Exec(plan.RunArgv, directory, envCopy, limits.RunTimeoutMs, limits.MaxOutputBytes), program.Stdin, readOomKills, onOutput, cancellationToken).ConfigureAwait(false);
        return Result(program.Language, run.Status, run, compile, run);
    }

    /// <summary>Creates <paramref name="directory"/> and writes the program's files into it; returns their names,
    /// the entry point first.</summary>
    public static async Task<IReadOnlyList<string>> WriteSourcesAsync(AgentConnection agent, string directory, ProgramSpec program, CancellationToken cancellationToken)
    {
        await agent.RequestAsync(new MakeDirectoryRequest(directory), cancellationToken).ConfigureAwait(false);
        var names = new List<string>(program.Files.Count);
        foreach (var (name, content) in program.Files)
        {
            names.Add(name);
            await AgentFiles.WriteAsync(agent, $"{directory}/{name}", content, append: false, cancellationToken).ConfigureAwait(false);
        }

        return names;
    }

    /// <summary>A hit puts the entry's files into the directory and replays the compile's output; a miss compiles
    /// and, if it is the run that stores this key and the compile succeeded, captures the declared outputs right away,
    /// before the program (the only code of the run besides the compiler) starts. Failed compiles are not kept: their
    /// result can depend on limits the key leaves out (a javac out of memory under a small limit).</summary>
    private static async Task<CommandResult> CompileThroughCacheAsync(
        AgentConnection agent,
        string directory,
        ProgramSpec program,
        LanguagePlan plan,
        ExecRequest exec,
        IReadOnlyDictionary<string, string> env,
        ProgramLimits limits,
        Func<long> readOomKills,
        CompileCacheScope scope,
        CompileMemory? compileMemory,
        CancellationToken cancellationToken)
    {
        var key = CompileKey.Of(program.Language, scope.ImageId, directory, exec.Argv!, env, plan.CompileOutputs, program.Files);
        using var lookup = await scope.Cache.LookupAsync(key, program.Language, TimeSpan.FromMilliseconds(limits.CompileTimeoutMs), cancellationToken).ConfigureAwait(false);
        if (lookup.Entry is { } entry)
        {
            try
            {
                return CachedCompile(await CompileOutputTransfer.RestoreAsync(agent, directory, entry, cancellationToken).ConfigureAwait(false), limits);
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
            {
                // The entry file is damaged (the disk, not a run: no run can reach it). Compile instead; whatever the
                // restore wrote is overwritten by the compiler.
            }
        }

        var timeoutMs = CompileTimeLeftMs(lookup, limits);
        if (timeoutMs <= 0)
        {
            return WaitedPastCompileTimeout(lookup);
        }

        var compile = await CompileMemory.AroundAsync(
            compileMemory, () => AgentExec.RunAsync(agent, exec with { Limits = exec.Limits with { TimeoutMs = (int)timeoutMs } }, null, readOomKills, null, cancellationToken),
            cancellationToken).ConfigureAwait(false);
        if (compile.Status == ExecutionStatus.Ok && lookup.CanStore
            && await CompileOutputTransfer.CaptureAsync(agent, directory, plan.CompileOutputs, compile, scope.Cache.Options, cancellationToken).ConfigureAwait(false) is { } outputs)
        {
            await lookup.StoreAsync(outputs, cancellationToken).ConfigureAwait(false);
        }

        return compile;
    }

    /// <summary>The run's status when its compile did not succeed: a compiler's non-zero exit is the compile error
    /// itself; a time or memory limit (or a cancellation) stays what it is.</summary>
    internal static ExecutionStatus CompileFailureStatus(ExecutionStatus compile) =>
        compile is ExecutionStatus.Timeout or ExecutionStatus.MemoryLimit or ExecutionStatus.Cancelled ? compile : ExecutionStatus.CompileError;

    /// <summary>The compile stage a cache hit reports: the first compile's output within this run's compile cap.</summary>
    internal static CommandResult CachedCompile(CompiledEntryHeader header, ProgramLimits limits) => new()
    {
        Status = ExecutionStatus.Ok,
        ExitCode = 0,
        Stdout = Capped(header.Stdout, limits.CompileOutputBytes, out var stdoutTruncated),
        StdoutTruncated = stdoutTruncated,
        Stderr = Capped(header.Stderr, limits.CompileOutputBytes, out var stderrTruncated),
        StderrTruncated = stderrTruncated,
        Cached = true,
    };

    /// <summary>The compile timeout left after waiting for an identical compile of another run, which counts against it.</summary>
    internal static long CompileTimeLeftMs(CompileLookup lookup, ProgramLimits limits) =>
        limits.CompileTimeoutMs - (long)lookup.Waited.TotalMilliseconds;

    /// <summary>The compile stage of a run whose compile timeout passed while it waited for another run's compile.</summary>
    internal static CommandResult WaitedPastCompileTimeout(CompileLookup lookup) => new()
    {
        Status = ExecutionStatus.Timeout,
        Stderr = "The compile did not finish within the compile timeout.",
        WallTimeMs = lookup.Waited.TotalMilliseconds,
    };

    /// <summary>A replayed compile output within this run's cap: a prefix, flagged, when it is longer.</summary>
    internal static string Capped(string text, long maxBytes, out bool truncated)
    {
        truncated = Encoding.UTF8.GetByteCount(text) > maxBytes;
        if (!truncated)
        {
            return text;
        }

        var bytes = Encoding.UTF8.GetBytes(text);
        var length = (int)maxBytes;
        // Back up to the start of a character.
        while (length > 0 && (bytes[length] & 0xC0) == 0x80)
        {
            length--;
        }

        return Encoding.UTF8.GetString(bytes, 0, length);
    }

    internal static ExecRequest Exec(string[] argv, string directory, Dictionary<string, string> env, int timeoutMs, long maxOutputBytes) => new()
    {
        Argv = argv,
        Cwd = directory,
        Env = env,
        Limits = new ExecLimits { TimeoutMs = timeoutMs, MaxOutputBytesPerStream = maxOutputBytes },
    };

    private static ExecuteResult Result(string language, ExecutionStatus status, CommandResult last, CommandResult? compile, CommandResult? run) => new()
    {
        Language = language,
        Status = status,
        Stdout = last.Stdout,
        Stderr = last.Stderr,
        ExitCode = last.ExitCode,
        Signal = last.Signal,
        WallTimeMs = (compile?.WallTimeMs ?? 0) + (run?.WallTimeMs ?? 0),
        CpuTimeMs = (compile?.CpuTimeMs ?? 0) + (run?.CpuTimeMs ?? 0),
        PeakMemoryBytes = Math.Max(compile?.PeakMemoryBytes ?? 0, run?.PeakMemoryBytes ?? 0),
        Compile = compile,
        Run = run,
    };

    /// <summary>Turns a one-shot request's sources into named files (entry first), validating names.</summary>
    public static IReadOnlyList<(string Name, byte[] Content)> FilesOf(string language, string? code, SourceFile[]? files)
    {
        var result = new List<(string, byte[])>();
        if (files is { Length: > 0 })
        {
            foreach (var file in files)
            {
                var content = DecodeContent(file);
                var name = string.IsNullOrWhiteSpace(file.Name)
                    ? LanguagePlan.DefaultFileName(language, file.Content)
                    : FileNames.ValidateRelative(file.Name, "files.name");
                // javac insists that a public class lives in a file of its name.
                if (language == Languages.Java && LanguagePlan.JavaPublicClass(Encoding.UTF8.GetString(content)) is { } publicClass)
                {
                    var directory = Path.GetDirectoryName(name);
                    name = string.IsNullOrEmpty(directory) ? $"{publicClass}.java" : $"{directory}/{publicClass}.java";
                }

                result.Add((name, content));
            }
        }
        else
        {
            result.Add((LanguagePlan.DefaultFileName(language, code), Encoding.UTF8.GetBytes(code ?? "")));
        }

        return result;
    }

    private static byte[] DecodeContent(SourceFile file)
    {
        if (string.Equals(file.Encoding, "base64", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                return Convert.FromBase64String(file.Content);
            }
            catch (FormatException)
            {
                throw new SandboxValidationException("files.content", $"File '{file.Name}' says base64 but its content is not valid base64.");
            }
        }

        if (file.Encoding is not null && !string.Equals(file.Encoding, "utf8", StringComparison.OrdinalIgnoreCase) && !string.Equals(file.Encoding, "utf-8", StringComparison.OrdinalIgnoreCase))
        {
            throw new SandboxValidationException("files.encoding", $"Unknown encoding '{file.Encoding}'; use utf8 or base64.");
        }

        return Encoding.UTF8.GetBytes(file.Content);
    }
}
