namespace SoulBox.Cluster.Tests.Harness;

/// <summary>An answer of the REST API: its status and JSON body (a problem's <c>code</c> when it failed).</summary>
internal sealed record ApiAnswer(HttpStatusCode Status, JsonElement Body)
{
    public bool Ok => (int)Status is >= 200 and < 300;

    public string? Code => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("code", out var code) ? code.GetString() : null;

    public string Text(string property) => Body.GetProperty(property).ToString();

    public override string ToString() => $"{(int)Status} {Body}";
}

/// <summary>A caller of one gateway's REST API (v1) with the cluster's API key, as an application would call it.</summary>
internal sealed class GatewayApi(SiloProcess gateway, string apiKey) : IDisposable
{
    private readonly HttpClient _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(30) })
    {
        BaseAddress = gateway.BaseAddress,
        Timeout = TimeSpan.FromSeconds(120),
        DefaultRequestHeaders = { { "X-API-Key", apiKey } },
    };

    public SiloProcess Gateway => gateway;

    public Task<ApiAnswer> CreateSandboxAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "/v1/sandboxes", new { template = "python", timeoutSeconds = 600 }, cancellationToken);

    /// <summary>Creates a sandbox and returns its id and node, failing the test on an error answer.</summary>
    public async Task<(string Id, string Node)> CreateSandboxOrThrowAsync(CancellationToken cancellationToken = default)
    {
        var answer = await CreateSandboxAsync(cancellationToken);
        return answer.Ok ? (answer.Text("id"), answer.Text("node")) : throw new InvalidOperationException($"create through {gateway.NodeName}: {answer}");
    }

    public Task<ApiAnswer> RunCodeAsync(string sandbox, string code, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"/v1/sandboxes/{sandbox}/code", new { code }, cancellationToken);

    public Task<ApiAnswer> RunCommandAsync(string sandbox, string cmd, int timeoutMs, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"/v1/sandboxes/{sandbox}/commands", new { cmd, timeoutMs }, cancellationToken);

    public Task<ApiAnswer> ListAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "/v1/sandboxes", null, cancellationToken);

    /// <summary>The ids of the tenant's live sandboxes, failing the test on an error answer.</summary>
    public async Task<string[]> ListIdsAsync(CancellationToken cancellationToken = default)
    {
        var answer = await ListAsync(cancellationToken);
        return answer.Ok
            ? [.. answer.Body.EnumerateArray().Select(s => s.GetProperty("id").GetString()!).Order(StringComparer.Ordinal)]
            : throw new InvalidOperationException($"list through {gateway.NodeName}: {answer}");
    }

    public Task<ApiAnswer> KillAsync(string sandbox, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"/v1/sandboxes/{sandbox}", null, cancellationToken);

    private async Task<ApiAnswer> SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await _http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        var json = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        return new ApiAnswer(response.StatusCode, json);
    }

    public void Dispose() => _http.Dispose();
}
