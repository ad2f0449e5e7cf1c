using System.Text;
using SoulBox.Grains.Hosting;
using SoulBox.Grains.Sandboxes;

namespace SoulBox.Grains.Execution;

/// <summary>One case of a checked batch: its input, arguments, expected output and resolved run limits. Input and
/// expected output are either inline or staged files of the batch's input set.</summary>
internal sealed record BatchCase(int Index, string? Name, byte[]? Stdin, string[] Args, string? ExpectedOutput, ProgramLimits Limits, int MemoryMb)
{
    public BatchInputFile? StdinFile { get; init; }
    public BatchInputFile? ExpectedOutputFile { get; init; }
}

/// <summary>A batch checked against the node's bounds: the program (sources, compile limits; no stdin or arguments:
/// those are the cases'), its cases, the comparison and how many cases may run at once.</summary>
internal sealed record BatchRun(OneShotRun Program, IReadOnlyList<BatchCase> Cases, OutputComparison Comparison, int MaxParallelism)
{
    /// <summary>How long the compile stage may take before the node stops waiting for the agent.</summary>
    public TimeSpan CompileDeadline(TimeSpan grace) => TimeSpan.FromMilliseconds(Program.Limits.CompileTimeoutMs) + grace;
}

/// <summary>Checks a batch before any work starts, as <see cref="OneShotValidator"/> checks one run (sizes as 413,
/// the rest as 400), naming the case: a problem in case 3's limits is field <c>cases[3].limits.memoryMb</c>. Besides
/// each case's own bounds, a batch is held to SoulBox:Sandbox:MaxBatchCases, MaxBatchInputBytes (stdin plus expected
/// output of all cases) and MaxBatchTimeMs (compile plus every case's timeout: the worst case, run serially).</summary>
internal sealed class BatchValidator(SandboxOptions options)
{
    private readonly SandboxRequestValidator _validate = new(options);
    private readonly OneShotValidator _oneShot = new(options);

    /// <param name="inputs">The input files sent with the batch, which cases name by stdinFile / expectedOutputFile.</param>
    public BatchRun Validate(ExecuteBatchRequest request, BatchInputSet? inputs = null) => Validate(request, inputs, filesToCome: false);

    /// <summary>Checks everything but the input files, which are still to be sent: before an upload, so a batch that
    /// would be refused anyway is refused before its files cross the network.</summary>
    public void ValidateBeforeFiles(ExecuteBatchRequest request) => Validate(request, null, filesToCome: true);

    private BatchRun Validate(ExecuteBatchRequest request, BatchInputSet? inputs, bool filesToCome)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Cases is not { Length: > 0 } cases)
        {
            throw new SandboxValidationException("cases", "A batch needs at least one test case.");
        }

        if (cases.Length > options.MaxBatchCases)
        {
            throw new SandboxValidationException("cases", $"{cases.Length} cases; at most {options.MaxBatchCases} per batch ({SandboxOptions.SectionName}:MaxBatchCases).");
        }

        var comparison = Comparison(request.Comparison);
        var parallelism = request.MaxParallelism switch
        {
            null => options.MaxBatchParallelism,
            < 1 => throw new SandboxValidationException("maxParallelism", $"maxParallelism must be at least 1; got {request.MaxParallelism}."),
            { } asked => Math.Min(asked, options.MaxBatchParallelism),
        };

        // Sizes of all cases first, before decoding anything, so an oversized batch costs no copies.
        long inputBytes = 0;
        for (var i = 0; i < cases.Length; i++)
        {
            if (cases[i] is not { } testCase)
            {
                throw new SandboxValidationException($"cases[{i}]", $"Case {i} is null.");
            }

            inputBytes += (testCase.Stdin is null ? 0 : Encoding.UTF8.GetByteCount(testCase.Stdin))
                + (testCase.ExpectedOutput is null ? 0 : Encoding.UTF8.GetByteCount(testCase.ExpectedOutput));
        }

        if (inputBytes > options.MaxBatchInputBytes)
        {
            throw new RequestTooLargeException("cases", options.MaxBatchInputBytes,
                $"The cases' stdin and expected output are {inputBytes} bytes together; the limit is {options.MaxBatchInputBytes} bytes ({SandboxOptions.SectionName}:MaxBatchInputBytes).");
        }

        var program = _oneShot.Validate(new ExecuteRequest { Language = request.Language, Code = request.Code, Files = request.Files, Limits = request.Limits });
        var checkedCases = new BatchCase[cases.Length];
        for (var i = 0; i < cases.Length; i++)
        {
            checkedCases[i] = InCase(i, () => Case(i, cases[i], program, inputs, filesToCome));
        }

        var worstCaseMs = (program.Compiles ? (long)program.Limits.CompileTimeoutMs : 0) + checkedCases.Sum(c => (long)c.Limits.RunTimeoutMs);
        if (worstCaseMs > options.MaxBatchTimeMs)
        {
            throw new SandboxValidationException("cases",
                $"The batch could take {worstCaseMs} ms (compile timeout plus every case's runTimeoutMs); the limit is {options.MaxBatchTimeMs} ms " +
                $"({SandboxOptions.SectionName}:MaxBatchTimeMs). Give the cases a lower runTimeoutMs (limits.runTimeoutMs sets it for all).");
        }

        return new BatchRun(program, checkedCases, comparison, parallelism);
    }

    private BatchCase Case(int index, TestCase testCase, OneShotRun program, BatchInputSet? inputs, bool filesToCome)
    {
        if (testCase.Stdin is { } stdin && Encoding.UTF8.GetByteCount(stdin) is var stdinBytes && stdinBytes > options.MaxCaseStdinBytes)
        {
            throw new RequestTooLargeException("stdin", options.MaxCaseStdinBytes,
                $"stdin is {stdinBytes} bytes; the limit of a case is {options.MaxCaseStdinBytes} bytes ({SandboxOptions.SectionName}:MaxCaseStdinBytes).");
        }

        _oneShot.Args(testCase.Args);
        if (testCase.ExpectedOutput is { } expected && Encoding.UTF8.GetByteCount(expected) is var expectedBytes && expectedBytes > options.MaxOutputBytes)
        {
            throw new RequestTooLargeException("expectedOutput", options.MaxOutputBytes,
                $"expectedOutput is {expectedBytes} bytes; no run may print more than {options.MaxOutputBytes} bytes ({SandboxOptions.SectionName}:MaxOutputBytes).");
        }

        if (testCase.Name is { Length: > 256 })
        {
            throw new SandboxValidationException("name", "A case's name is at most 256 characters.");
        }

        var limits = testCase.Limits;
        if (limits?.CompileTimeoutMs is not null)
        {
            throw new SandboxValidationException("limits.compileTimeoutMs", "A batch compiles once: set compileTimeoutMs in the batch's limits, not in a case's.");
        }

        var runLimits = new ProgramLimits(
            program.Limits.CompileTimeoutMs,
            _validate.RunTimeoutMs(limits?.RunTimeoutMs, program.Limits.RunTimeoutMs, "limits.runTimeoutMs"),
            limits?.MaxOutputBytes is { } maxOutput ? Prefixed("limits.", () => _validate.MaxOutputBytes(maxOutput)) : program.Limits.MaxOutputBytes);
        var memoryMb = limits?.MemoryMb is { } memory ? Prefixed("limits.", () => _validate.MemoryMb(memory)) : program.MemoryMb;
        var stdinFile = InputFile(testCase.StdinFile, testCase.Stdin is not null, "stdin", inputs, filesToCome);
        var expectedFile = InputFile(testCase.ExpectedOutputFile, testCase.ExpectedOutput is not null, "expectedOutput", inputs, filesToCome);
        if (expectedFile is { Length: var length } && length > options.MaxOutputBytes)
        {
            throw new RequestTooLargeException("expectedOutputFile", options.MaxOutputBytes,
                $"The expected output file '{expectedFile.Name}' is {length} bytes; no run may print more than {options.MaxOutputBytes} bytes ({SandboxOptions.SectionName}:MaxOutputBytes).");
        }

        return new BatchCase(
            index,
            testCase.Name,
            testCase.Stdin is null ? null : Encoding.UTF8.GetBytes(testCase.Stdin),
            testCase.Args ?? [],
            testCase.ExpectedOutput,
            runLimits,
            memoryMb)
        {
            StdinFile = stdinFile,
            ExpectedOutputFile = expectedFile,
        };
    }

    /// <summary>The staged file a case names in <c>&lt;field&gt;File</c>, or null when it names none.</summary>
    private static BatchInputFile? InputFile(string? name, bool inline, string field, BatchInputSet? inputs, bool filesToCome)
    {
        if (name is null)
        {
            return null;
        }

        if (inline)
        {
            throw new SandboxValidationException(field + "File", $"A case has either {field} or {field}File, not both.");
        }

        if (filesToCome)
        {
            return null;
        }

        if (inputs is null)
        {
            throw new SandboxValidationException(field + "File",
                $"{field}File names an input file, but no files came with the batch: send them in a multipart/form-data body (POST /v1/execute, README \"Batches\") or through ExecuteBatchAsync's input files.");
        }

        return inputs.Files.TryGetValue(name, out var file)
            ? file
            : throw new SandboxValidationException(field + "File",
                $"No input file named '{name}' came with the batch; it has {(inputs.Files.Count == 0 ? "none" : string.Join(", ", inputs.Files.Keys.Order(StringComparer.Ordinal).Take(20).Select(n => $"'{n}'")))}.");
    }

    private static OutputComparison Comparison(OutputComparison? comparison)
    {
        if (comparison is null)
        {
            return new OutputComparison();
        }

        if (!Enum.IsDefined(comparison.Mode))
        {
            throw new SandboxValidationException("comparison.mode", "comparison.mode must be exact, trailing_whitespace or tokens.");
        }

        if (comparison.FloatTolerance is { } tolerance)
        {
            if (comparison.Mode != ComparisonMode.Tokens)
            {
                throw new SandboxValidationException("comparison.floatTolerance", $"floatTolerance needs mode tokens; the mode is {comparison.Mode.ToWire()}.");
            }

            if (!(tolerance >= 0 && tolerance < 1))
            {
                throw new SandboxValidationException("comparison.floatTolerance", $"floatTolerance must be at least 0 and below 1; got {tolerance}.");
            }
        }

        return comparison;
    }

    /// <summary>Runs a check of one case, naming the case in the field and the message of what it throws.</summary>
    private static T InCase<T>(int index, Func<T> check)
    {
        try
        {
            return check();
        }
        catch (SandboxValidationException e)
        {
            throw new SandboxValidationException($"cases[{index}].{e.Field}", $"Case {index}: {e.Message}");
        }
        catch (RequestTooLargeException e)
        {
            throw new RequestTooLargeException($"cases[{index}].{e.Field}", e.LimitBytes, $"Case {index}: {e.Message}");
        }
    }

    private static T Prefixed<T>(string prefix, Func<T> check)
    {
        try
        {
            return check();
        }
        catch (SandboxValidationException e)
        {
            throw new SandboxValidationException(prefix + e.Field, e.Message);
        }
    }
}
