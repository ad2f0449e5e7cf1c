using SoulBox.Client;

namespace SoulBox.Bench.Target;

/// <summary>SoulBox through the .NET client (Orleans grain calls over the client gateway).</summary>
internal sealed class ClientDriver(ISoulBoxClient soulbox, int sandboxTimeoutSeconds) : ISandboxDriver
{
    public string Name => "client";

    public async Task<BenchSandbox> CreateAsync(string template, CancellationToken cancellationToken)
    {
        var sandbox = await soulbox.CreateSandboxAsync(new SandboxCreateOptions
        {
            Template = template,
            TimeoutSeconds = sandboxTimeoutSeconds,
            Metadata = new() { ["purpose"] = "bench" },
        }, cancellationToken);
        return new BenchSandbox(sandbox.Id, sandbox);
    }

    public async Task<BenchRun> RunAsync(BenchSandbox sandbox, string code, string language, CancellationToken cancellationToken)
    {
        var result = await ((Sandbox)sandbox.Handle!).RunCodeAsync(code, language, cancellationToken);
        return new BenchRun(result.Stdout, result.Status.ToWire(), result.WallTimeMs);
    }

    public async Task KillAsync(BenchSandbox sandbox) => await ((Sandbox)sandbox.Handle!).DisposeAsync();

    public async Task<BenchExecution> ExecuteAsync(string code, string language, string? stdin, int? runTimeoutMs, CancellationToken cancellationToken)
    {
        var result = await soulbox.ExecuteAsync(new ExecuteRequest
        {
            Language = language,
            Code = code,
            Stdin = stdin,
            Limits = runTimeoutMs is null ? null : new ExecutionLimits { RunTimeoutMs = runTimeoutMs },
        }, cancellationToken);
        return new BenchExecution(result.Stdout, result.Status.ToWire(), result.Compile?.WallTimeMs ?? 0, result.Compile?.Cached ?? false, result.Run?.WallTimeMs ?? 0);
    }

    public async Task<BenchBatch> ExecuteBatchAsync(string code, string language, IReadOnlyList<BenchCase> cases, int runTimeoutMs, int? maxParallelism, CancellationToken cancellationToken)
    {
        var result = await soulbox.ExecuteBatchAsync(new ExecuteBatchRequest
        {
            Language = language,
            Code = code,
            Cases = [.. cases.Select(c => new TestCase { Stdin = c.Stdin, ExpectedOutput = c.ExpectedOutput })],
            Limits = new ExecutionLimits { RunTimeoutMs = runTimeoutMs },
            MaxParallelism = maxParallelism,
        }, cancellationToken);
        var failed = result.Cases.FirstOrDefault(c => c.Verdict != CaseVerdict.Accepted);
        return new BenchBatch([.. result.Cases.Select(c => c.Verdict.ToWire())], result.Compile?.Cached ?? false, result.Summary.ElapsedMs, result.Summary.Parallelism,
            failed is null ? null : BenchBatch.Describe(failed.Index, failed.Verdict.ToWire(), failed.Difference, failed.Stdout, failed.Stderr, result.Compile?.Stderr));
    }
}
