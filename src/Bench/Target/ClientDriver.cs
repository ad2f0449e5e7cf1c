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

    public async Task<BenchExecution> ExecuteAsync(string code, string language, CancellationToken cancellationToken)
    {
        var result = await soulbox.ExecuteAsync(new ExecuteRequest { Language = language, Code = code }, cancellationToken);
        return new BenchExecution(result.Stdout, result.Status.ToWire(), result.Compile?.WallTimeMs ?? 0, result.Compile?.Cached ?? false, result.Run?.WallTimeMs ?? 0);
    }
}
