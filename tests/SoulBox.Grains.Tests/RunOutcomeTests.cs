using SoulBox.Agent.Protocol;
using SoulBox.Grains.Execution;

namespace SoulBox.Grains.Tests;

public sealed class RunOutcomeTests
{
    [Fact]
    public void ExitZero_IsOk() => Assert.Equal(ExecutionStatus.Ok, RunOutcome.Classify(new ExitEvent { ExitCode = 0 }, oomKilled: false));

    [Fact]
    public void NonZeroExit_IsRuntimeError() => Assert.Equal(ExecutionStatus.RuntimeError, RunOutcome.Classify(new ExitEvent { ExitCode = 3 }, oomKilled: false));

    [Fact]
    public void Signal_IsRuntimeError() => Assert.Equal(ExecutionStatus.RuntimeError, RunOutcome.Classify(new ExitEvent { Signal = 11 }, oomKilled: false));

    [Fact]
    public void Timeout_WinsOverEverythingElse() =>
        Assert.Equal(ExecutionStatus.Timeout, RunOutcome.Classify(new ExitEvent { Signal = 9, TimedOut = true, StdoutTruncated = true }, oomKilled: true));

    [Fact]
    public void OomKill_IsMemoryLimit() => Assert.Equal(ExecutionStatus.MemoryLimit, RunOutcome.Classify(new ExitEvent { Signal = 9 }, oomKilled: true));

    [Fact]
    public void TruncatedOutput_IsOutputLimit() => Assert.Equal(ExecutionStatus.OutputLimit, RunOutcome.Classify(new ExitEvent { ExitCode = 0, StderrTruncated = true }, oomKilled: false));

    [Fact]
    public void CodeError_IsRuntimeError() =>
        Assert.Equal(ExecutionStatus.RuntimeError, RunOutcome.Classify(new CodeResultEvent { Error = new CodeError("ValueError", "x", "tb") }, oomKilled: false));

    [Theory]
    [InlineData(ExecutionStatus.Ok, "ok")]
    [InlineData(ExecutionStatus.MemoryLimit, "memory_limit")]
    [InlineData(ExecutionStatus.CompileError, "compile_error")]
    public void Statuses_HaveStableWireNames(ExecutionStatus status, string wire) => Assert.Equal(wire, status.ToWire());
}
