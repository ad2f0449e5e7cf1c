using System.Buffers.Binary;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;

namespace SoulBox.Silo.Tests.E2b.Envd;

/// <summary>A sandbox made through E2B's control plane on the shared node, and a client that speaks to its envd the way
/// the SDK does (E2B_SANDBOX_URL = the node: E2b-Sandbox-Id / E2b-Sandbox-Port headers and the envdAccessToken).</summary>
internal sealed class EnvdSandbox : IAsyncDisposable
{
    private readonly HttpClient _client;
    private readonly HttpClient _control;

    private EnvdSandbox(HttpClient control, HttpClient client, string id)
    {
        _control = control;
        _client = client;
        Id = id;
    }

    public string Id { get; }

    public static async Task<EnvdSandbox> CreateAsync(SiloFixture silo, string template = "python")
    {
        var control = silo.Client(null);
        control.DefaultRequestHeaders.Add("X-API-KEY", SiloFixture.KeyA);
        using var created = await control.PostJsonAsync("/sandboxes", new { templateID = template, timeout = 300 });
        var body = await created.JsonAsync(HttpStatusCode.Created);
        var id = body.GetProperty("sandboxID").GetString()!;
        var client = silo.Client(null);
        client.DefaultRequestHeaders.Add("E2b-Sandbox-Id", id);
        client.DefaultRequestHeaders.Add("E2b-Sandbox-Port", "49983");
        client.DefaultRequestHeaders.Add("X-Access-Token", body.GetProperty("envdAccessToken").GetString());
        client.DefaultRequestHeaders.Add("Connect-Protocol-Version", "1");
        return new EnvdSandbox(control, client, id);
    }

    public HttpClient Http => _client;

    /// <summary>A unary call: the status and the JSON answer.</summary>
    public async Task<(HttpStatusCode Status, JsonElement Body)> UnaryAsync(string procedure, string json, int? timeoutMs = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/" + procedure) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (timeoutMs is { } ms)
        {
            request.Headers.Add("Connect-Timeout-Ms", ms.ToString());
        }

        using var response = await _client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>Asserts a successful unary call and returns its answer.</summary>
    public async Task<JsonElement> CallAsync(string procedure, string json)
    {
        var (status, body) = await UnaryAsync(procedure, json);
        Assert.True(status == HttpStatusCode.OK, $"{procedure} answered {(int)status}: {body}");
        return body;
    }

    /// <summary>A server-streaming call: each frame (flags, JSON) as it arrives; the last has flags 0x02.</summary>
    public async IAsyncEnumerable<(byte Flags, JsonElement Message)> StreamAsync(string procedure, string json,
        Dictionary<string, string>? headers = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var message = Encoding.UTF8.GetBytes(json);
        var envelope = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(envelope.AsSpan(1), (uint)message.Length);
        message.CopyTo(envelope, 5);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/" + procedure) { Content = new ByteArrayContent(envelope) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/connect+json");
        foreach (var (name, value) in headers ?? [])
        {
            request.Headers.Add(name, value);
        }

        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/connect+json", response.Content.Headers.ContentType?.MediaType);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var header = new byte[5];
        while (true)
        {
            await body.ReadExactlyAsync(header, cancellationToken);
            var frame = new byte[BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1))];
            await body.ReadExactlyAsync(frame, cancellationToken);
            yield return (header[0], JsonDocument.Parse(frame).RootElement.Clone());
            if (header[0] == 0x02)
            {
                Assert.Equal(0, await body.ReadAsync(new byte[1], cancellationToken)); // nothing after the end frame
                yield break;
            }
        }
    }

    /// <summary>Every frame of a stream call, to its end.</summary>
    public async Task<List<(byte Flags, JsonElement Message)>> CollectAsync(string procedure, string json, Dictionary<string, string>? headers = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var frames = new List<(byte, JsonElement)>();
        await foreach (var frame in StreamAsync(procedure, json, headers, timeout.Token))
        {
            frames.Add(frame);
        }

        return frames;
    }

    public async Task KillAsync()
    {
        using var killed = await _control.DeleteAsync($"/sandboxes/{Id}");
        Assert.Equal(HttpStatusCode.NoContent, killed.StatusCode);
    }

    public async ValueTask DisposeAsync()
    {
        (await _control.DeleteAsync($"/sandboxes/{Id}")).Dispose();
        _client.Dispose();
        _control.Dispose();
    }
}
