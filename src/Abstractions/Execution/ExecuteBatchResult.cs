namespace SoulBox;

/// <summary>Result of a batch: the compile stage (compiled languages), one result per case in the request's order,
/// and a summary.</summary>
[GenerateSerializer, Immutable, Alias("soulbox.ExecuteBatchResult")]
public sealed record ExecuteBatchResult
{
    /// <summary>The canonical language the batch used.</summary>
    [Id(0)] public required string Language { get; init; }
    /// <summary>The toolchain's version (for example the Python or Go version of the image).</summary>
    [Id(1)] public string Version { get; init; } = "";
    /// <summary>The one compile stage (Go, Java; <c>Cached</c> when the node's compile cache had it), or null for
    /// interpreted languages. When it failed, every case is <see cref="CaseVerdict.CompileError"/> and none ran.</summary>
    [Id(2)] public CommandResult? Compile { get; init; }
    /// <summary>One result per case, in the order of the request's cases.</summary>
    [Id(3)] public TestCaseResult[] Cases { get; init; } = [];
    /// <summary>Counts, the first failing case and totals.</summary>
    [Id(4)] public required BatchSummary Summary { get; init; }
}

/// <summary>How one test case went.</summary>
[GenerateSerializer, Immutable, Alias("soulbox.TestCaseResult")]
public sealed record TestCaseResult
{
    /// <summary>The case's index in the request (0-based).</summary>
    [Id(0)] public int Index { get; init; }
    /// <summary>The case's name, when the request gave one.</summary>
    [Id(1)] public string? Name { get; init; }
    /// <summary>The verdict.</summary>
    [Id(2)] public CaseVerdict Verdict { get; init; }
    /// <summary>How the process ended (ok, timeout, memory_limit, output_limit, runtime_error), before comparing;
    /// compile_error when it never ran.</summary>
    [Id(3)] public ExecutionStatus Status { get; init; }
    /// <summary>Exit code, or null when a signal ended the process (or it never ran).</summary>
    [Id(4)] public int? ExitCode { get; init; }
    /// <summary>The signal that ended the process, if one did.</summary>
    [Id(5)] public int? Signal { get; init; }
    /// <summary>Wall-clock time of the run in milliseconds.</summary>
    [Id(6)] public double WallTimeMs { get; init; }
    /// <summary>CPU time (user + system) of the process tree in milliseconds.</summary>
    [Id(7)] public double CpuTimeMs { get; init; }
    /// <summary>Peak memory in bytes.</summary>
    [Id(8)] public long PeakMemoryBytes { get; init; }
    /// <summary>Standard output as returned: at most SoulBox:Sandbox:BatchResultOutputBytes of it (the comparison
    /// used all of it, up to the case's output cap).</summary>
    [Id(9)] public string Stdout { get; init; } = "";
    /// <summary>Standard error as returned, cut the same way.</summary>
    [Id(10)] public string Stderr { get; init; } = "";
    /// <summary>Whether <see cref="Stdout"/> is shorter than what the program printed (cut for the result, or at
    /// the output cap).</summary>
    [Id(11)] public bool StdoutTruncated { get; init; }
    /// <summary>Whether <see cref="Stderr"/> is shorter than what the program printed.</summary>
    [Id(12)] public bool StderrTruncated { get; init; }
    /// <summary>For a wrong answer: where the output first differs from the expected output (line and token or
    /// byte), in a few words.</summary>
    [Id(13)] public string? Difference { get; init; }
}

/// <summary>Totals of a batch.</summary>
[GenerateSerializer, Immutable, Alias("soulbox.BatchSummary")]
public sealed record BatchSummary
{
    /// <summary>Number of cases.</summary>
    [Id(0)] public int Total { get; init; }
    /// <summary>Cases judged accepted.</summary>
    [Id(1)] public int Accepted { get; init; }
    /// <summary>Cases judged wrong_answer.</summary>
    [Id(2)] public int WrongAnswer { get; init; }
    /// <summary>Cases judged time_limit.</summary>
    [Id(3)] public int TimeLimit { get; init; }
    /// <summary>Cases judged memory_limit.</summary>
    [Id(4)] public int MemoryLimit { get; init; }
    /// <summary>Cases judged output_limit.</summary>
    [Id(5)] public int OutputLimit { get; init; }
    /// <summary>Cases judged runtime_error.</summary>
    [Id(6)] public int RuntimeError { get; init; }
    /// <summary>Cases judged compile_error.</summary>
    [Id(7)] public int CompileError { get; init; }
    /// <summary>The lowest index of a case not accepted, or null when all were.</summary>
    [Id(8)] public int? FirstFailedIndex { get; init; }
    /// <summary>That case's verdict.</summary>
    [Id(9)] public CaseVerdict? FirstFailedVerdict { get; init; }
    /// <summary>Sum of the cases' wall times in milliseconds.</summary>
    [Id(10)] public double TotalWallTimeMs { get; init; }
    /// <summary>Sum of the cases' CPU times in milliseconds.</summary>
    [Id(11)] public double TotalCpuTimeMs { get; init; }
    /// <summary>The longest case's wall time in milliseconds (what a judge's time limit compares).</summary>
    [Id(12)] public double MaxWallTimeMs { get; init; }
    /// <summary>The largest peak memory of any case, in bytes.</summary>
    [Id(13)] public long MaxPeakMemoryBytes { get; init; }
    /// <summary>Wall-clock time of the whole batch on the node (compile, every case, resets), in milliseconds.</summary>
    [Id(14)] public double ElapsedMs { get; init; }
    /// <summary>Cases that ran at most at once.</summary>
    [Id(15)] public int Parallelism { get; init; }

    /// <summary>Whether every case was accepted.</summary>
    public bool AllAccepted => Accepted == Total;
}
