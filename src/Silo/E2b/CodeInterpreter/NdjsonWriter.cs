using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SoulBox.Silo.E2b.CodeInterpreter;

/// <summary>Writes one JSON object per line and flushes it, so the SDK's callbacks fire as output is produced.</summary>
internal sealed class NdjsonWriter(HttpResponse response)
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    public async Task WriteAsync(JsonObject line)
    {
        var writer = response.BodyWriter;
        using (var json = new Utf8JsonWriter(writer))
        {
            line.WriteTo(json);
        }

        writer.Write(NewLine);
        await writer.FlushAsync(response.HttpContext.RequestAborted);
    }
}
