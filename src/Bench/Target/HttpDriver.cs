using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SoulBox.Bench.Target;

/// <summary>SoulBox through the HTTP gateway's REST API (<c>/v1</c>), JSON over loopback HTTP/1.1.</summary>
internal sealed class HttpDriver(HttpClient http, int sandboxTimeoutSeconds) : ISandboxDriver
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string Name => "http";

    /// <summary>Null when the gateway answers <c>GET /v1/templates</c> with 200, else why not.</summary>
    public static async Task<string?> ProbeAsync(HttpClient http, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync("/v1/templates", cancellationToken);
            return response.IsSuccessStatusCode ? null : $"GET {http.BaseAddress}v1/templates answered {(int)response.StatusCode}";
        }
        catch (HttpRequestException e)
        {
            return $"GET {http.BaseAddress}v1/templates failed: {e.Message}";
        }
    }

    public async Task<BenchSandbox> CreateAsync(string template, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync("/v1/sandboxes",
            new CreateBody(template, sandboxTimeoutSeconds, new() { ["purpose"] = "bench" }), Json, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        var created = await response.Content.ReadFromJsonAsync<CreatedBody>(Json, cancellationToken);
        return new BenchSandbox(created?.Id ?? throw new InvalidDataException("POST /v1/sandboxes answered without an id"), null);
    }

    public async Task<BenchRun> RunAsync(BenchSandbox sandbox, string code, string language, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync($"/v1/sandboxes/{sandbox.Id}/code", new CodeBody(code, language), Json, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        var result = await response.Content.ReadFromJsonAsync<RunBody>(Json, cancellationToken) ?? new RunBody();
        return new BenchRun(result.Stdout ?? "", NormalizeStatus(result.Status), result.WallTimeMs);
    }

    public async Task<BenchExecution> ExecuteAsync(string code, string language, string? stdin, int? runTimeoutMs, CancellationToken cancellationToken)
    {
        var body = new ExecuteRequestBody(code, language, stdin, runTimeoutMs is null ? null : new LimitsBody(runTimeoutMs.Value), null, null);
        using var response = await http.PostAsJsonAsync("/v1/execute", body, Json, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        var result = await response.Content.ReadFromJsonAsync<ExecuteBody>(Json, cancellationToken) ?? new ExecuteBody();
        return new BenchExecution(result.Stdout ?? "", NormalizeStatus(result.Status), result.Compile?.WallTimeMs ?? 0, result.Compile?.Cached ?? false, result.Run?.WallTimeMs ?? 0);
    }

    public async Task<BenchBatch> ExecuteBatchAsync(string code, string language, IReadOnlyList<BenchCase> cases, int runTimeoutMs, int? maxParallelism, CancellationToken cancellationToken)
    {
        var body = new ExecuteRequestBody(code, language, null, new LimitsBody(runTimeoutMs), [.. cases.Select(c => new CaseBody(c.Stdin, c.ExpectedOutput))], maxParallelism);
        using var response = await http.PostAsJsonAsync("/v1/execute", body, Json, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        return ParseBatch(await response.Content.ReadAsStringAsync(cancellationToken));
    }

    /// <summary>A batch's answer (<c>POST /v1/execute</c> with cases): verdicts in snake_case, the summary's node
    /// time and parallelism, the compile stage's cache flag.</summary>
    internal static BenchBatch ParseBatch(string json)
    {
        var result = JsonSerializer.Deserialize<BatchBody>(json, Json) ?? throw new InvalidDataException("POST /v1/execute with cases answered no body");
        var cases = result.Cases ?? throw new InvalidDataException("POST /v1/execute with cases answered without cases");
        var failed = cases.FirstOrDefault(c => c.Verdict != BenchBatch.Accepted);
        return new BenchBatch([.. cases.Select(c => c.Verdict ?? "missing")], result.Compile?.Cached ?? false, result.Summary?.ElapsedMs ?? 0, result.Summary?.Parallelism ?? 0,
            failed is null ? null : BenchBatch.Describe(failed.Index, failed.Verdict ?? "missing", failed.Difference, failed.Stdout, failed.Stderr, result.Compile?.Stderr));
    }

    public async Task KillAsync(BenchSandbox sandbox)
    {
        using var response = await http.DeleteAsync($"/v1/sandboxes/{sandbox.Id}");
    }

    private static string NormalizeStatus(string? status) => status?.ToLowerInvariant() switch
    {
        null or "" => "missing",
        "ok" => "ok",
        var other => other,
    };

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new HttpRequestException($"HTTP {(int)response.StatusCode}: {body[..Math.Min(body.Length, 200)]}", null, response.StatusCode);
        }
    }

    private sealed record CreateBody(string Template, int TimeoutSeconds, Dictionary<string, string> Metadata);

    private sealed record CreatedBody(string? Id);

    private sealed record CodeBody(string Code, string Language);

    private sealed record ExecuteRequestBody(string Code, string Language, string? Stdin, LimitsBody? Limits, CaseBody[]? Cases, int? MaxParallelism);

    private sealed record LimitsBody(int RunTimeoutMs);

    private sealed record CaseBody(string Stdin, string ExpectedOutput);

    private sealed record BatchBody
    {
        public StageBody? Compile { get; init; }
        public CaseResultBody[]? Cases { get; init; }
        public SummaryBody? Summary { get; init; }
    }

    private sealed record CaseResultBody
    {
        public int Index { get; init; }
        public string? Verdict { get; init; }
        public string? Difference { get; init; }
        public string? Stdout { get; init; }
        public string? Stderr { get; init; }
    }

    private sealed record SummaryBody
    {
        public double ElapsedMs { get; init; }
        public int Parallelism { get; init; }
    }

    private sealed record ExecuteBody
    {
        public string? Stdout { get; init; }
        public string? Status { get; init; }
        public StageBody? Compile { get; init; }
        public StageBody? Run { get; init; }
    }

    private sealed record StageBody
    {
        public double WallTimeMs { get; init; }
        public bool Cached { get; init; }
        public string? Stderr { get; init; }
    }

    private sealed record RunBody
    {
        public string? Stdout { get; init; }
        public string? Status { get; init; }
        public double WallTimeMs { get; init; }
    }
}
