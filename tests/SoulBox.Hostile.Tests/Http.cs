namespace SoulBox.Hostile.Tests;

/// <summary>Small HTTP helpers of the hostile suite.</summary>
internal static class Http
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {(int)expected} but got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Asserts an RFC 7807 answer with the given status; returns the problem.</summary>
    public static async Task<JsonElement> ProblemAsync(this HttpResponseMessage response, params HttpStatusCode[] statuses)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(statuses.Contains(response.StatusCode), $"Expected {string.Join(" or ", statuses.Select(s => (int)s))} but got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string url, object body) =>
        client.PostAsJsonAsync(url, body, Json);

    public static async Task<string> CreateSandboxAsync(this HttpClient client, string template = "python", int timeoutSeconds = 300)
    {
        using var response = await client.PostJsonAsync("/v1/sandboxes", new { template, timeoutSeconds });
        var sandbox = await response.JsonAsync(HttpStatusCode.Created);
        return sandbox.GetProperty("id").GetString()!;
    }

    /// <summary>Runs a shell command in a sandbox and returns the command result.</summary>
    public static async Task<JsonElement> CommandAsync(this HttpClient client, string sandbox, string cmd, int timeoutMs = 10_000, long? maxOutputBytes = null)
    {
        using var response = await client.PostJsonAsync($"/v1/sandboxes/{sandbox}/commands", new { cmd, timeoutMs, maxOutputBytes });
        return await response.JsonAsync();
    }

    public static async Task<JsonElement> CodeAsync(this HttpClient client, string sandbox, string code, int timeoutMs = 10_000)
    {
        using var response = await client.PostJsonAsync($"/v1/sandboxes/{sandbox}/code", new { code, timeoutMs });
        return await response.JsonAsync();
    }

    public static string Text(this JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";
}
