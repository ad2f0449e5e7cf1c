using System.Text;
using SoulBox.Grains.Hosting;
using SoulBox.Grains.Sandboxes;

namespace SoulBox.Grains.Execution;

/// <summary>A one-shot execution checked against the node's bounds: what to run, its limits, and the memory it
/// asked for. <see cref="Compiles"/> says whether a compile stage runs before the program.</summary>
internal sealed record OneShotRun(string Language, string Template, ProgramSpec Program, ProgramLimits Limits, int MemoryMb, bool Compiles)
{
    /// <summary>How long the whole run may take before the node stops waiting for the agent: every stage's
    /// timeout plus <paramref name="grace"/>.</summary>
    public TimeSpan Deadline(TimeSpan grace) =>
        TimeSpan.FromMilliseconds((Compiles ? (long)Limits.CompileTimeoutMs : 0) + Limits.RunTimeoutMs) + grace;
}

/// <summary>Checks a one-shot request before any work starts: sizes first (stdin, arguments, sources, each 413
/// with the limit and its setting named, measured without copying the input), then the rest (400).</summary>
internal sealed class OneShotValidator(SandboxOptions options)
{
    private readonly SandboxRequestValidator _validate = new(options);

    public OneShotRun Validate(ExecuteRequest request)
    {
        var language = _validate.Language(request.Language, null);
        CheckSizes(request);
        if (request.Files is not { Length: > 0 })
        {
            _validate.Code(request.Code);
        }

        var files = ProgramRunner.FilesOf(language, request.Code, request.Files);
        if (files.Count == 1 && files[0].Content.Length == 0)
        {
            throw new SandboxValidationException("code", "Code is empty.");
        }

        var limits = request.Limits ?? new ExecutionLimits();
        var memoryMb = _validate.MemoryMb(limits.MemoryMb);
        var compiles = Languages.Compiles(language);
        var programLimits = new ProgramLimits(
            _validate.RunTimeoutMs(limits.CompileTimeoutMs, options.DefaultCompileTimeoutMs, "compileTimeoutMs"),
            _validate.RunTimeoutMs(limits.RunTimeoutMs, options.DefaultRunTimeoutMs, "runTimeoutMs"),
            _validate.MaxOutputBytes(limits.MaxOutputBytes),
            _validate.MaxOutputBytes(limits.CompileMaxOutputBytes, "compileMaxOutputBytes"),
            compiles ? _validate.MemoryMb(limits.CompileMemoryMb ?? Math.Max(memoryMb, options.DefaultCompileMemoryMb), "compileMemoryMb") : null);
        var program = new ProgramSpec(language, files, request.Args ?? [], request.Stdin is null ? null : Encoding.UTF8.GetBytes(request.Stdin));
        return new OneShotRun(language, Languages.DefaultTemplate(language), program, programLimits, memoryMb, compiles);
    }

    private void CheckSizes(ExecuteRequest request)
    {
        if (request.Stdin is { } stdin)
        {
            _validate.StdinBytes(Encoding.UTF8.GetByteCount(stdin));
        }

        Args(request.Args);

        if (request.Files is { Length: > 0 } files)
        {
            if (files.Length > options.MaxExecutionFiles)
            {
                throw new SandboxValidationException("files", $"{files.Length} files; at most {options.MaxExecutionFiles} per execution ({SandboxOptions.SectionName}:MaxExecutionFiles).");
            }

            // Base64 decodes to 3/4 of its length: a bound without decoding (exact sizes are checked after).
            var bytes = files.Sum(f => f?.Content is { } c ? IsBase64(f) ? c.Length / 4L * 3 : Encoding.UTF8.GetByteCount(c) : 0L);
            if (bytes > options.MaxExecutionFilesBytes)
            {
                throw new RequestTooLargeException("files", options.MaxExecutionFilesBytes,
                    $"The source files are {bytes} bytes together; the limit is {options.MaxExecutionFilesBytes} bytes ({SandboxOptions.SectionName}:MaxExecutionFilesBytes).");
            }
        }
        else if (request.Code is { } code && Encoding.UTF8.GetByteCount(code) is var codeBytes && codeBytes > options.MaxCodeBytes)
        {
            throw new RequestTooLargeException("code", options.MaxCodeBytes,
                $"The code is {codeBytes} bytes; the limit is {options.MaxCodeBytes} bytes ({SandboxOptions.SectionName}:MaxCodeBytes).");
        }
    }

    /// <summary>Program arguments: at most 256, none null or with NUL (400), together within MaxArgsBytes (413).</summary>
    public void Args(string[]? args)
    {
        if (args is null)
        {
            return;
        }

        if (args.Length > 256 || args.Any(a => a is null || a.Contains('\0')))
        {
            throw new SandboxValidationException("args", "At most 256 arguments, none null or containing NUL.");
        }

        var argBytes = args.Sum(a => (long)Encoding.UTF8.GetByteCount(a) + 1);
        if (argBytes > options.MaxArgsBytes)
        {
            throw new RequestTooLargeException("args", options.MaxArgsBytes,
                $"The arguments are {argBytes} bytes together; the limit is {options.MaxArgsBytes} bytes ({SandboxOptions.SectionName}:MaxArgsBytes).");
        }
    }

    private static bool IsBase64(SourceFile file) => string.Equals(file.Encoding, "base64", StringComparison.OrdinalIgnoreCase);
}
