using System.Text.Json.Serialization;

namespace SoulBox;

/// <summary>How a run ended. A timeout or a limit is a normal result, not an error.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ExecutionStatus>))]
[GenerateSerializer, Alias("soulbox.ExecutionStatus")]
public enum ExecutionStatus
{
    /// <summary>Exited with code 0 (code runs: no exception).</summary>
    Ok,
    /// <summary>Killed because it passed its wall-clock limit.</summary>
    Timeout,
    /// <summary>Killed by the kernel's OOM killer at the memory limit.</summary>
    MemoryLimit,
    /// <summary>Wrote more than the per-stream output cap (the rest was dropped).</summary>
    OutputLimit,
    /// <summary>Non-zero exit, a signal, or an uncaught exception.</summary>
    RuntimeError,
    /// <summary>The compiler (Go, Java) rejected the source.</summary>
    CompileError,
    /// <summary>Cancelled by the caller.</summary>
    Cancelled,
}

/// <summary>Wire names of <see cref="ExecutionStatus"/>.</summary>
public static class ExecutionStatusNames
{
    /// <summary>Stable snake_case names used on the wire (HTTP, metrics).</summary>
    public static string ToWire(this ExecutionStatus status) => status switch
    {
        ExecutionStatus.Ok => "ok",
        ExecutionStatus.Timeout => "timeout",
        ExecutionStatus.MemoryLimit => "memory_limit",
        ExecutionStatus.OutputLimit => "output_limit",
        ExecutionStatus.RuntimeError => "runtime_error",
        ExecutionStatus.CompileError => "compile_error",
        ExecutionStatus.Cancelled => "cancelled",
        _ => status.ToString(),
    };
}
