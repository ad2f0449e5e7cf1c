using System.Text;
using SoulBox.Agent.Protocol;
using SoulBox.Grains.AgentClient;

namespace SoulBox.Grains.Execution;

/// <summary>A program to run once: its files (the first is the entry point), arguments and stdin.</summary>
internal sealed record ProgramSpec(string Language, IReadOnlyList<(string Name, byte[] Content)> Files, IReadOnlyList<string> Args, byte[]? Stdin);

/// <summary>Limits of a program run, resolved against the node's defaults.</summary>
internal sealed record ProgramLimits(int CompileTimeoutMs, int RunTimeoutMs, long MaxOutputBytes);

/// <summary>Writes a program's files into a directory of a container, compiles it (Go, Java) and runs it,
/// all through the agent. Used for one-shot executions and for compiled languages in sandboxes.</summary>
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
        CancellationToken cancellationToken)
    {
        await agent.RequestAsync(new MakeDirectoryRequest(directory), cancellationToken).ConfigureAwait(false);
        var names = new List<string>(program.Files.Count);
        foreach (var (name, content) in program.Files)
        {
            names.Add(name);
            await AgentFiles.WriteAsync(agent, $"{directory}/{name}", content, append: false, cancellationToken).ConfigureAwait(false);
        }

        var plan = LanguagePlan.For(program.Language, directory, names[0], names, program.Args);
        var envCopy = new Dictionary<string, string>(env);
        CommandResult? compile = null;
        if (plan.CompileArgv is not null)
        {
            compile = await AgentExec.RunAsync(agent, Exec(plan.CompileArgv, directory, envCopy, limits.CompileTimeoutMs, limits.MaxOutputBytes), null, readOomKills, null, cancellationToken).ConfigureAwait(false);
            if (compile.Status != ExecutionStatus.Ok)
            {
                var status = compile.Status is ExecutionStatus.Timeout or ExecutionStatus.MemoryLimit or ExecutionStatus.Cancelled ? compile.Status : ExecutionStatus.CompileError;
                return Result(program.Language, status, compile, compile, run: null);
            }
        }

        var run = await AgentExec.RunAsync(agent, Exec(plan.RunArgv, directory, envCopy, limits.RunTimeoutMs, limits.MaxOutputBytes), program.Stdin, readOomKills, onOutput, cancellationToken).ConfigureAwait(false);
        return Result(program.Language, run.Status, run, compile, run);
    }

    private static ExecRequest Exec(string[] argv, string directory, Dictionary<string, string> env, int timeoutMs, long maxOutputBytes) => new()
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
