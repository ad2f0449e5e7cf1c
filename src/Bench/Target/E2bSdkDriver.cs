using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SoulBox.Bench.Target;

/// <summary>SoulBox through E2B's official JavaScript SDK (<c>@e2b/code-interpreter</c> 2.8.0 on <c>e2b</c> 2.51.0,
/// artifacts/e2b-sdks/current): one long-lived node process runs Target/e2b-driver.mjs and answers create / run / kill
/// requests over a line protocol, so a call costs what the SDK costs (its HTTP to the node's E2B gateway, NDJSON
/// parsing) plus one pipe round trip, never a node start. Measured in the warm and cold-start scenarios only: the
/// throughput levels would measure one node process's event loop.</summary>
internal sealed class E2bSdkDriver : ISandboxDriver, IAsyncDisposable
{
    /// <summary>The key the SDK sends as X-API-KEY when none is set: a node without keys accepts any non-empty key.</summary>
    public const string DefaultApiKey = "soulbox-bench";

    private readonly Process _process;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly int _sandboxTimeoutSeconds;
    private readonly Task _reader;
    private readonly TaskCompletionSource<JsonElement> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _nextId;

    private E2bSdkDriver(Process process, int sandboxTimeoutSeconds)
    {
        _process = process;
        _sandboxTimeoutSeconds = sandboxTimeoutSeconds;
        _reader = Task.Run(ReadAsync);
    }

    public string Name => "e2b";

    public bool WarmAndColdOnly => true;

    public bool ReportsAgentTime => false;

    /// <summary>The node version the SDK runs on (from the driver's ready line).</summary>
    public string NodeVersion { get; private set; } = "";

    /// <summary>The node driver's process id (its CPU time is the SDK's cost on the caller's side).</summary>
    public int Pid => _process.Id;

    /// <summary>Null when the node answers E2B's control plane (<c>GET /v2/sandboxes</c> with X-API-KEY), else why not.</summary>
    public static async Task<string?> ProbeAsync(HttpClient http, string apiKey, CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/sandboxes");
            request.Headers.Add("X-API-KEY", apiKey);
            using var response = await http.SendAsync(request, cancellationToken);
            return response.IsSuccessStatusCode ? null : $"GET {http.BaseAddress}v2/sandboxes (E2B's control plane) answered {(int)response.StatusCode}";
        }
        catch (HttpRequestException e)
        {
            return $"GET {http.BaseAddress}v2/sandboxes failed: {e.Message}";
        }
    }

    /// <summary>Installs the SDK when artifacts/e2b-sdks/current lacks it (scripts/e2b-sdks.sh), starts the node driver
    /// against <paramref name="gateway"/> and waits for its ready line.</summary>
    public static async Task<E2bSdkDriver> StartAsync(Uri gateway, string apiKey, string logPath, int sandboxTimeoutSeconds, Progress progress, CancellationToken cancellationToken)
    {
        var root = NodeProcess.RepositoryRoot() ?? throw new DirectoryNotFoundException("the e2b transport needs the repository (SoulBox.sln above the bench) for artifacts/e2b-sdks");
        var sdk = Path.Combine(root, "artifacts", "e2b-sdks", "current");
        if (!File.Exists(Path.Combine(sdk, "node_modules", "@e2b", "code-interpreter", "package.json")))
        {
            progress.Info("e2b transport: installing E2B's SDK (scripts/e2b-sdks.sh current)");
            await RunInstallAsync(root, cancellationToken);
        }

        var directory = Path.Combine(sdk, "bench");
        Directory.CreateDirectory(directory);
        var script = Path.Combine(directory, "e2b-driver.mjs");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Target", "e2b-driver.mjs"), script, overwrite: true);

        var start = new ProcessStartInfo("node")
        {
            ArgumentList = { script },
            WorkingDirectory = sdk,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var variable in new[] { "E2B_ACCESS_TOKEN", "E2B_DOMAIN", "E2B_DEBUG", "E2B_USER_AGENT_SOURCE" })
        {
            start.Environment.Remove(variable);
        }

        var baseUrl = gateway.GetLeftPart(UriPartial.Authority);
        start.Environment["E2B_API_KEY"] = apiKey;
        start.Environment["E2B_API_URL"] = baseUrl;
        start.Environment["E2B_SANDBOX_URL"] = baseUrl;
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start node for the e2b transport");
        var log = new StreamWriter(logPath, append: false) { AutoFlush = true };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (log)
                {
                    log.WriteLine(e.Data);
                }
            }
        };
        process.BeginErrorReadLine();
        var driver = new E2bSdkDriver(process, sandboxTimeoutSeconds);
        var ready = await driver._ready.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        driver.NodeVersion = ready.GetProperty("node").GetString() ?? "";
        progress.Info($"e2b transport: node {driver.NodeVersion} driver pid {process.Id} → {baseUrl} (log {logPath})");
        return driver;
    }

    public async Task<BenchSandbox> CreateAsync(string template, CancellationToken cancellationToken)
    {
        var answer = await SendAsync(new JsonObject { ["op"] = "create", ["template"] = template, ["timeoutMs"] = _sandboxTimeoutSeconds * 1000L }, cancellationToken);
        return new BenchSandbox(answer.GetProperty("sandboxId").GetString()!, null);
    }

    public async Task<BenchRun> RunAsync(BenchSandbox sandbox, string code, string language, CancellationToken cancellationToken)
    {
        var answer = await SendAsync(new JsonObject { ["op"] = "run", ["sandboxId"] = sandbox.Id, ["code"] = code, ["language"] = E2bLanguage(language) }, cancellationToken);
        var error = answer.GetProperty("error");
        return new BenchRun(answer.GetProperty("stdout").GetString() ?? "", error.ValueKind == JsonValueKind.Null ? "ok" : "error", 0);
    }

    /// <summary><paramref name="iterations"/> runs of <paramref name="code"/> timed inside node around each
    /// <c>runCode</c> (the SDK's latency without this driver's pipe); failures are runs with an error or another text.</summary>
    public async Task<(List<double> SamplesMs, int Failures, string? LastFailure)> LoopAsync(BenchSandbox sandbox, string code, string expectedText, int iterations, CancellationToken cancellationToken)
    {
        var answer = await SendAsync(new JsonObject { ["op"] = "loop", ["sandboxId"] = sandbox.Id, ["code"] = code, ["iterations"] = iterations, ["expect"] = expectedText }, cancellationToken);
        var samples = answer.GetProperty("samplesMs").EnumerateArray().Select(e => e.GetDouble()).ToList();
        return (samples, answer.GetProperty("failures").GetInt32(), answer.GetProperty("lastFailure").GetString());
    }

    public async Task KillAsync(BenchSandbox sandbox) =>
        await SendAsync(new JsonObject { ["op"] = "kill", ["sandboxId"] = sandbox.Id }, CancellationToken.None);

    public Task<BenchExecution> ExecuteAsync(string code, string language, string? stdin, int? runTimeoutMs, CancellationToken cancellationToken) =>
        throw new NotSupportedException("E2B's SDK has no one-shot run: the e2b transport measures sandboxes (warm and cold start) only");

    public Task<BenchBatch> ExecuteBatchAsync(string code, string language, IReadOnlyList<BenchCase> cases, int runTimeoutMs, int? maxParallelism, CancellationToken cancellationToken) =>
        throw new NotSupportedException("E2B's SDK has no batch of test cases: the e2b transport measures sandboxes (warm and cold start) only");

    /// <summary>E2B's code interpreter names JavaScript "js"; SoulBox's languages pass through.</summary>
    private static string E2bLanguage(string language) => language == SoulBox.Languages.JavaScript ? "js" : language;

    private async Task<JsonElement> SendAsync(JsonObject request, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _nextId);
        request["id"] = id;
        var answer = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        try
        {
            await _writeLock.WaitAsync(cancellationToken);
            try
            {
                await _process.StandardInput.WriteLineAsync(request.ToJsonString().AsMemory(), cancellationToken);
                await _process.StandardInput.FlushAsync(cancellationToken);
            }
            finally
            {
                _writeLock.Release();
            }

            var reply = await answer.Task.WaitAsync(cancellationToken);
            return reply.GetProperty("ok").GetBoolean()
                ? reply
                : throw new E2bSdkException(reply.GetProperty("error").GetString() ?? "the SDK call failed");
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    private async Task ReadAsync()
    {
        try
        {
            while (await _process.StandardOutput.ReadLineAsync() is { } line)
            {
                using var document = JsonDocument.Parse(line);
                var message = document.RootElement.Clone();
                if (message.TryGetProperty("ready", out _))
                {
                    _ready.TrySetResult(message);
                }
                else if (message.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.Number && _pending.TryGetValue(id.GetInt64(), out var waiter))
                {
                    waiter.TrySetResult(message);
                }
            }
        }
        catch (Exception e) when (e is IOException or JsonException or ObjectDisposedException)
        {
        }

        var gone = new IOException("the e2b transport's node process ended (see its log)");
        _ready.TrySetException(gone);
        foreach (var waiter in _pending.Values)
        {
            waiter.TrySetException(gone);
        }
    }

    private static async Task RunInstallAsync(string root, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("bash") { ArgumentList = { Path.Combine(root, "scripts", "e2b-sdks.sh"), "current" }, WorkingDirectory = root, UseShellExecute = false };
        using var install = Process.Start(start) ?? throw new InvalidOperationException("could not start scripts/e2b-sdks.sh");
        await install.WaitForExitAsync(cancellationToken);
        if (install.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/e2b-sdks.sh failed with exit code {install.ExitCode} (its output is above)");
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _reader;
        _process.Dispose();
        _writeLock.Dispose();
    }
}

/// <summary>An E2B SDK call that failed inside the node driver: its error's name and message.</summary>
internal sealed class E2bSdkException(string message) : Exception(message);
