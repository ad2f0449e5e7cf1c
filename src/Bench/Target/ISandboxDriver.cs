namespace SoulBox.Bench.Target;

/// <summary>One way of talking to SoulBox (the .NET client, or the HTTP gateway). The bench measures the
/// same scenarios through each driver that is available.</summary>
internal interface ISandboxDriver
{
    /// <summary>"client" or "http": the transport column of the report.</summary>
    string Name { get; }

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
