namespace SoulBox.Grains.Execution;

/// <summary>Turns how a case's process ended into its verdict, and a batch's case results into its summary. Pure.
/// <para>The process's own end explains a failure first (time, memory, output cap, non-zero exit or signal): a
/// program killed at its time limit gets time_limit even if what it printed so far happens to match. Only a clean
/// exit is compared with the expected output.</para></summary>
internal static class BatchVerdicts
{
    public static (CaseVerdict Verdict, string? Difference) Judge(CommandResult run, string? expectedOutput, OutputComparison comparison) => run.Status switch
    {
        ExecutionStatus.Timeout => (CaseVerdict.TimeLimit, null),
        ExecutionStatus.MemoryLimit => (CaseVerdict.MemoryLimit, null),
        ExecutionStatus.OutputLimit => (CaseVerdict.OutputLimit, null),
        ExecutionStatus.Ok when expectedOutput is null => (CaseVerdict.Accepted, null),
        ExecutionStatus.Ok => OutputComparer.Difference(run.Stdout, expectedOutput, comparison) is { } difference
            ? (CaseVerdict.WrongAnswer, difference)
            : (CaseVerdict.Accepted, null),
        ExecutionStatus.CompileError => (CaseVerdict.CompileError, null),
        _ => (CaseVerdict.RuntimeError, null),
    };

    public static BatchSummary Summarize(IReadOnlyList<TestCaseResult> cases, TimeSpan elapsed, int parallelism)
    {
        var firstFailed = cases.FirstOrDefault(c => c.Verdict != CaseVerdict.Accepted);
        return new BatchSummary
        {
            Total = cases.Count,
            Accepted = cases.Count(c => c.Verdict == CaseVerdict.Accepted),
            WrongAnswer = cases.Count(c => c.Verdict == CaseVerdict.WrongAnswer),
            TimeLimit = cases.Count(c => c.Verdict == CaseVerdict.TimeLimit),
            MemoryLimit = cases.Count(c => c.Verdict == CaseVerdict.MemoryLimit),
            OutputLimit = cases.Count(c => c.Verdict == CaseVerdict.OutputLimit),
            RuntimeError = cases.Count(c => c.Verdict == CaseVerdict.RuntimeError),
            CompileError = cases.Count(c => c.Verdict == CaseVerdict.CompileError),
            FirstFailedIndex = firstFailed?.Index,
            FirstFailedVerdict = firstFailed?.Verdict,
            TotalWallTimeMs = cases.Sum(c => c.WallTimeMs),
            TotalCpuTimeMs = cases.Sum(c => c.CpuTimeMs),
            MaxWallTimeMs = cases.Count == 0 ? 0 : cases.Max(c => c.WallTimeMs),
            MaxPeakMemoryBytes = cases.Count == 0 ? 0 : cases.Max(c => c.PeakMemoryBytes),
            ElapsedMs = elapsed.TotalMilliseconds,
            Parallelism = parallelism,
        };
    }

    /// <summary>The result of a case: the verdict, and the process's figures with its output cut to
    /// <paramref name="resultOutputBytes"/> per stream.</summary>
    public static TestCaseResult Result(BatchCase testCase, CommandResult run, OutputComparison comparison, int resultOutputBytes)
    {
        var (verdict, difference) = Judge(run, testCase.ExpectedOutput, comparison);
        return new TestCaseResult
        {
            Index = testCase.Index,
            Name = testCase.Name,
            Verdict = verdict,
            Status = run.Status,
            ExitCode = run.ExitCode,
            Signal = run.Signal,
            WallTimeMs = run.WallTimeMs,
            CpuTimeMs = run.CpuTimeMs,
            PeakMemoryBytes = run.PeakMemoryBytes,
            Stdout = ProgramRunner.Capped(run.Stdout, resultOutputBytes, out var stdoutCut),
            StdoutTruncated = stdoutCut || run.StdoutTruncated,
            Stderr = ProgramRunner.Capped(run.Stderr, resultOutputBytes, out var stderrCut),
            StderrTruncated = stderrCut || run.StderrTruncated,
            Difference = difference,
        };
    }

    /// <summary>A case that never ran because the program did not compile.</summary>
    public static TestCaseResult NotCompiled(BatchCase testCase) => new()
    {
        Index = testCase.Index,
        Name = testCase.Name,
        Verdict = CaseVerdict.CompileError,
        Status = ExecutionStatus.CompileError,
    };
}
