using SoulBox.Grains.Execution;

namespace SoulBox.Grains.Tests;

public sealed class BatchVerdictsTests
{
    private static readonly OutputComparison Default = new();

    [Theory]
    [InlineData(ExecutionStatus.Timeout, CaseVerdict.TimeLimit)]
    [InlineData(ExecutionStatus.MemoryLimit, CaseVerdict.MemoryLimit)]
    [InlineData(ExecutionStatus.OutputLimit, CaseVerdict.OutputLimit)]
    [InlineData(ExecutionStatus.RuntimeError, CaseVerdict.RuntimeError)]
    public void TheProcessEndDecidesBeforeTheOutput(ExecutionStatus status, CaseVerdict verdict) =>
        // The output matches, but the process did not end cleanly.
        Assert.Equal(verdict, BatchVerdicts.Judge(new CommandResult { Status = status, Stdout = "42\n" }, "42", Default).Verdict);

    [Fact]
    public void ACleanExitIsJudgedByItsOutput()
    {
        Assert.Equal((CaseVerdict.Accepted, null), BatchVerdicts.Judge(new CommandResult { Status = ExecutionStatus.Ok, Stdout = "42\n" }, "42", Default));
        Assert.Equal((CaseVerdict.WrongAnswer, "line 1: expected '42', got '41'"), BatchVerdicts.Judge(new CommandResult { Status = ExecutionStatus.Ok, Stdout = "41\n" }, "42", Default));
        Assert.Equal((CaseVerdict.Accepted, null), BatchVerdicts.Judge(new CommandResult { Status = ExecutionStatus.Ok, Stdout = "anything" }, null, Default));
    }

    [Fact]
    public void TheResultCutsOutputButTheComparisonUsesAllOfIt()
    {
        var testCase = new BatchCase(3, "big", null, [], new string('x', 100), new ProgramLimits(1000, 1000, 1000), 128);

        var result = BatchVerdicts.Result(testCase, new CommandResult { Status = ExecutionStatus.Ok, Stdout = new string('x', 100), Stderr = "e" }, Default, resultOutputBytes: 10);

        Assert.Equal(CaseVerdict.Accepted, result.Verdict);
        Assert.Equal((3, "big"), (result.Index, result.Name));
        Assert.Equal(new string('x', 10), result.Stdout);
        Assert.True(result.StdoutTruncated);
        Assert.Equal("e", result.Stderr);
        Assert.False(result.StderrTruncated);
    }

    [Fact]
    public void TheSummaryCountsVerdictsAndNamesTheFirstFailure()
    {
        TestCaseResult[] cases =
        [
            new() { Index = 0, Verdict = CaseVerdict.Accepted, WallTimeMs = 10, CpuTimeMs = 5, PeakMemoryBytes = 100 },
            new() { Index = 1, Verdict = CaseVerdict.TimeLimit, WallTimeMs = 1000, CpuTimeMs = 990, PeakMemoryBytes = 50 },
            new() { Index = 2, Verdict = CaseVerdict.WrongAnswer, WallTimeMs = 20, CpuTimeMs = 5, PeakMemoryBytes = 300 },
            new() { Index = 3, Verdict = CaseVerdict.Accepted, WallTimeMs = 10, CpuTimeMs = 0, PeakMemoryBytes = 100 },
        ];

        var summary = BatchVerdicts.Summarize(cases, TimeSpan.FromMilliseconds(1500), parallelism: 2);

        Assert.Equal((4, 2, 1, 1, 0), (summary.Total, summary.Accepted, summary.TimeLimit, summary.WrongAnswer, summary.RuntimeError));
        Assert.Equal((1, CaseVerdict.TimeLimit), (summary.FirstFailedIndex, summary.FirstFailedVerdict));
        Assert.Equal((1040, 1000, 1000, 300L), (summary.TotalWallTimeMs, summary.TotalCpuTimeMs, summary.MaxWallTimeMs, summary.MaxPeakMemoryBytes));
        Assert.Equal((1500, 2), (summary.ElapsedMs, summary.Parallelism));
        Assert.False(summary.AllAccepted);
    }
}
