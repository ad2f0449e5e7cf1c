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

    /// <summary>A one-shot run (<c>/v1/execute</c>): a fresh executor, nothing kept but the node's compile cache.</summary>
    Task<BenchExecution> ExecuteAsync(string code, string language, CancellationToken cancellationToken);
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
}
