using System.Text.Json.Serialization;

namespace SoulBox;

/// <summary>The verdict on one test case of a batch.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CaseVerdict>))]
[GenerateSerializer, Alias("soulbox.CaseVerdict")]
public enum CaseVerdict
{
    /// <summary>Exited 0 within its limits and printed the expected output (or had none to print).</summary>
    Accepted,
    /// <summary>Exited 0 within its limits, but its output differs from the expected output.</summary>
    WrongAnswer,
    /// <summary>Passed its wall-clock limit.</summary>
    TimeLimit,
    /// <summary>Passed its memory limit (killed by the OOM killer, or its peak passed the limit it asked for).</summary>
    MemoryLimit,
    /// <summary>Wrote more than its per-stream output cap.</summary>
    OutputLimit,
    /// <summary>Non-zero exit or ended by a signal (see the case's ExitCode and Signal).</summary>
    RuntimeError,
    /// <summary>The program did not compile; no case ran (the batch's Compile stage says why).</summary>
    CompileError,
}

/// <summary>Wire names of <see cref="CaseVerdict"/>.</summary>
public static class CaseVerdictNames
{
    /// <summary>Stable snake_case names used on the wire (HTTP, metrics).</summary>
    public static string ToWire(this CaseVerdict verdict) => verdict switch
    {
        CaseVerdict.Accepted => "accepted",
        CaseVerdict.WrongAnswer => "wrong_answer",
        CaseVerdict.TimeLimit => "time_limit",
        CaseVerdict.MemoryLimit => "memory_limit",
        CaseVerdict.OutputLimit => "output_limit",
        CaseVerdict.RuntimeError => "runtime_error",
        CaseVerdict.CompileError => "compile_error",
        _ => verdict.ToString(),
    };
}
