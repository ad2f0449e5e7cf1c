namespace SoulBox.Bench.Target;

/// <summary>One way of talking to SoulBox (the .NET client, the HTTP gateway, or E2B's SDK through the E2B gateway). The bench measures the
/// same scenarios through each driver that is available.</summary>
internal interface ISandboxDriver
{
    /// <summary>"client", "http" or "e2b": the transport column of the report.</summary>
    string Name { get; }

    /// <summary>True when the driver is measured in the warm and cold-start scenarios only (the e2b transport: one
    /// node process's event loop would be the bottleneck of a throughput level, not SoulBox).</summary>
    bool WarmAndColdOnly => false;

    /// <summary>False when a run's answer carries no agent-side wall time (E2B's SDK does not expose one).</summary>
    bool ReportsAgentTime => true;

    Task<BenchSandbox> CreateAsync(string template, CancellationToken cancellationToken);

    Task<BenchRun> RunAsync(BenchSandbox sandbox, string code, string language, CancellationToken cancellationToken);

    Task KillAsync(BenchSandbox sandbox);

    /// <summary>A one-shot run (<c>/v1/execute</c>): a fresh executor, nothing kept but the node's compile cache.
    /// <paramref name="stdin"/> goes to the program; <paramref name="runTimeoutMs"/> null takes the node's default.</summary>
    Task<BenchExecution> ExecuteAsync(string code, string language, string? stdin, int? runTimeoutMs, CancellationToken cancellationToken);

    /// <summary>A batch (<c>/v1/execute</c> with <c>cases</c>): the program compiled once (or taken from the node's
    /// compile cache) and judged against every case, each in a fresh process; at most <paramref name="maxParallelism"/>
    /// cases at once (null: the node's default).</summary>
    Task<BenchBatch> ExecuteBatchAsync(string code, string language, IReadOnlyList<BenchCase> cases, int runTimeoutMs, int? maxParallelism, CancellationToken cancellationToken);
}

/// <summary>A sandbox created by a driver: its id and the driver's own handle.</summary>
internal sealed record BenchSandbox(string Id, object? Handle);

/// <summary>What a run answered: stdout, the wire status ("ok", ...) and the agent-side wall time of the run.</summary>
internal sealed record BenchRun(string Stdout, string Status, double AgentWallMs)
{
    /// <summary>Null when the run succeeded with the expected output, else a short error kind.</summary>
    public string? Check(string expectedOutput) =>
        Status != "ok" ? $"status {Status}" : Stdout.Contains(expectedOutput, StringComparison.Ordinal) ? null : "wrong output";
}

/// <summary>What a one-shot run answered: stdout, the wire status, and its compile stage (zero when the language has
/// none, or when <paramref name="CompileCached"/>: the node's compile cache held the build) and run stage wall times.</summary>
internal sealed record BenchExecution(string Stdout, string Status, double CompileMs, bool CompileCached, double RunMs)
{
    public string? Check(string expectedOutput) =>
        Status != "ok" ? $"status {Status}" : Stdout.Contains(expectedOutput, StringComparison.Ordinal) ? null : "wrong output";

    /// <summary>As a batch judges a case by default: null when the run succeeded and its output equals
    /// <paramref name="expectedOutput"/> line by line, trailing whitespace aside; else a short error kind.</summary>
    public string? Judge(string expectedOutput) =>
        Status != "ok" ? $"status {Status}" : Lines(Stdout).SequenceEqual(Lines(expectedOutput)) ? null : "wrong output";

    private static IEnumerable<string> Lines(string text) =>
        text.ReplaceLineEndings("\n").TrimEnd().Split('\n').Select(line => line.TrimEnd());
}

/// <summary>One test case of a batch: the program's input and the output it must print.</summary>
internal sealed record BenchCase(string Stdin, string ExpectedOutput);

/// <summary>What a batch answered: each case's verdict (wire names: "accepted", "wrong_answer", ...) in the request's
/// order, whether its compile came from the node's compile cache, the node's own wall time of the whole batch, how many
/// cases ran at once, and for the first case not accepted a few words on what went wrong.</summary>
internal sealed record BenchBatch(IReadOnlyList<string> Verdicts, bool CompileCached, double NodeElapsedMs, int Parallelism, string? FirstFailure)
{
    public const string Accepted = "accepted";

    /// <summary>Null when every one of <paramref name="expectedCases"/> cases came back accepted, else a short error
    /// kind naming the first other verdict (a wrong verdict is a failed sample, not a slow one).</summary>
    public string? Check(int expectedCases) =>
        Verdicts.Count != expectedCases ? $"{Verdicts.Count} of {expectedCases} verdicts"
        : Verdicts.FirstOrDefault(v => v != Accepted) is { } verdict ? $"verdict {verdict}"
        : null;

    /// <summary>A few words on a case that was not accepted (and the compiler's complaint, for a compile error).</summary>
    public static string Describe(int index, string verdict, string? difference, string? stdout, string? stderr, string? compileStderr) =>
        $"case {index}: {verdict}" + (difference is { Length: > 0 } ? $" ({difference})" : "")
        + (stdout is { Length: > 0 } ? $", stdout '{Cut(stdout)}'" : "") + (stderr is { Length: > 0 } ? $", stderr '{Cut(stderr)}'" : "")
        + (verdict == "compile_error" && compileStderr is { Length: > 0 } ? $", compiler '{Cut(compileStderr)}'" : "");

    private static string Cut(string text) => text.Length <= 200 ? text.Trim() : text[..200].Trim() + "…";
}
