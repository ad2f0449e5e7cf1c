namespace SoulBox.Client;

/// <summary>Entry point of the .NET client: create and find sandboxes, run one-shot executions.
/// Register with <c>services.AddSoulBoxClient()</c> (over an existing IClusterClient) or
/// <c>builder.AddSoulBoxClient(...)</c> (which also connects to the cluster).</summary>
public interface ISoulBoxClient
{
    /// <summary>Creates a sandbox (default template python, 300 s lifetime). Dispose the handle to kill it.</summary>
    Task<Sandbox> CreateSandboxAsync(SandboxCreateOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Attaches to an existing sandbox by id (throws <see cref="SandboxNotFoundException"/> and friends).
    /// Disposing an attached handle does not kill the sandbox.</summary>
    Task<Sandbox> ConnectAsync(string sandboxId, CancellationToken cancellationToken = default);

    /// <summary>Runs a program once in a fresh environment and returns its result (Piston/Judge0 model).</summary>
    Task<ExecuteResult> ExecuteAsync(ExecuteRequest request, CancellationToken cancellationToken = default);

    /// <summary>Runs one program against many test cases (compiled once, each case in a fresh process, its output
    /// compared with the expected one) and returns a verdict per case and a summary (online-judge model). A program
    /// that does not compile is a result (every case compile_error), not an exception; bad input throws
    /// <see cref="SandboxValidationException"/> naming the field, e.g. <c>cases[3].limits.memoryMb</c>.</summary>
    Task<ExecuteBatchResult> ExecuteBatchAsync(ExecuteBatchRequest request, CancellationToken cancellationToken = default);

    /// <summary>A batch whose cases read their input or expected output from files (<see cref="TestCase.StdinFile"/>,
    /// <see cref="TestCase.ExpectedOutputFile"/> name keys of <paramref name="inputFiles"/>): each stream is read to
    /// its end and sent to the node that runs the batch in 1 MiB chunks, so inputs far beyond one message fit (limits:
    /// SoulBox:BatchInputs). The streams stay the caller's to dispose.</summary>
    Task<ExecuteBatchResult> ExecuteBatchAsync(ExecuteBatchRequest request, IReadOnlyDictionary<string, Stream> inputFiles, CancellationToken cancellationToken = default);

    /// <summary>Live sandboxes whose metadata contains every pair of <paramref name="metadata"/>.</summary>
    Task<IReadOnlyList<SandboxInfo>> ListSandboxesAsync(IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default);

    /// <summary>Runtime images present on the cluster's worker nodes.</summary>
    Task<IReadOnlyList<TemplateInfo>> GetTemplatesAsync(CancellationToken cancellationToken = default);
}
