using SoulBox.Agent.Protocol;

namespace SoulBox.Grains.Execution;

/// <summary>Turns what the agent reported (plus whether the OOM killer struck) into a status,
/// in order of what explains the end best: timeout, memory, output cap, exit.</summary>
internal static class RunOutcome
{
    public static ExecutionStatus Classify(ExitEvent exit, bool oomKilled) =>
        exit.TimedOut ? ExecutionStatus.Timeout
        : exit.Cancelled ? ExecutionStatus.Cancelled
        : oomKilled ? ExecutionStatus.MemoryLimit
        : exit.StdoutTruncated || exit.StderrTruncated ? ExecutionStatus.OutputLimit
        : exit.ExitCode == 0 ? ExecutionStatus.Ok
        : ExecutionStatus.RuntimeError;

    public static ExecutionStatus Classify(CodeResultEvent result, bool oomKilled) =>
        result.TimedOut ? ExecutionStatus.Timeout
        : result.Cancelled ? ExecutionStatus.Cancelled
        : oomKilled ? ExecutionStatus.MemoryLimit
        : result.StdoutTruncated || result.StderrTruncated ? ExecutionStatus.OutputLimit
        : result.Error is not null ? ExecutionStatus.RuntimeError
        : ExecutionStatus.Ok;

    public static CommandResult ToCommandResult(ExitEvent exit, string stdout, string stderr, bool oomKilled) => new()
    {
        Stdout = stdout,
        Stderr = stderr,
        ExitCode = exit.ExitCode,
        Signal = exit.Signal,
        Status = Classify(exit, oomKilled),
        StdoutTruncated = exit.StdoutTruncated,
        StderrTruncated = exit.StderrTruncated,
        WallTimeMs = exit.WallTimeMs,
        CpuTimeMs = exit.CpuTimeMs,
        PeakMemoryBytes = exit.PeakMemoryBytes,
    };
}
