using System.Buffers;
using System.Text;
using Google.Protobuf;

namespace SoulBox.Silo.E2b.Envd.Connect;

/// <summary>Unary calls: the request body is one proto3 JSON message (<c>application/json</c>); the answer is 200
/// with the response message, or the error's HTTP status with <c>{"code":...,"message":...}</c>.</summary>
internal static class ConnectUnary
{
    public const string ContentType = "application/json";

    /// <summary>Reads the request message (at most <paramref name="maxBytes"/> bytes; an empty body is the empty message).</summary>
    public static async ValueTask<T> ReadAsync<T>(HttpContext http, int maxBytes, CancellationToken cancellationToken) where T : IMessage<T>, new()
    {
        if (!IsJson(http.Request.ContentType))
        {
            throw new ConnectException(ConnectCodes.Unimplemented,
                $"Content type '{http.Request.ContentType}' is not served; envd here speaks Connect with JSON (application/json).");
        }

        var body = http.Request.BodyReader;
        while (true)
        {
            var result = await body.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (buffer.Length > maxBytes)
            {
                body.AdvanceTo(buffer.Start, buffer.End);
                throw new ConnectException(ConnectCodes.ResourceExhausted, $"The request is larger than {maxBytes} bytes.");
            }

            if (result.IsCompleted)
            {
                var json = buffer.Length == 0 ? "{}" : Encoding.UTF8.GetString(buffer);
                body.AdvanceTo(buffer.End);
                return Parse<T>(json);
            }

            body.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Parses a request message; malformed JSON or a field of the wrong type is invalid_argument.</summary>
    public static T Parse<T>(string json) where T : IMessage<T>, new()
    {
        try
        {
            return ConnectJson.Parser.Parse<T>(json);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or InvalidJsonException or FormatException)
        {
            throw new ConnectException(ConnectCodes.InvalidArgument, $"The request is not a valid {typeof(T).Name}: {e.Message}");
        }
    }

    public static Task WriteAsync(HttpContext http, IMessage message, CancellationToken cancellationToken) =>
        WriteJsonAsync(http.Response, StatusCodes.Status200OK, ConnectJson.Formatter.Format(message), cancellationToken);

    public static Task WriteErrorAsync(HttpContext http, ConnectException error, CancellationToken cancellationToken) =>
        WriteJsonAsync(http.Response, ConnectCodes.HttpStatusOf(error.Code), ConnectEnvelope.ErrorJson(error.Code, error.Message), cancellationToken);

    private static async Task WriteJsonAsync(HttpResponse response, int status, string json, CancellationToken cancellationToken)
    {
        response.StatusCode = status;
        response.ContentType = ContentType;
        var length = Encoding.UTF8.GetByteCount(json);
        response.ContentLength = length;
        var writer = response.BodyWriter;
        Encoding.UTF8.GetBytes(json, writer.GetSpan(length));
        writer.Advance(length);
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    internal static bool IsJson(string? contentType) => ConnectHeaders.IsMediaType(contentType, ContentType);
}
