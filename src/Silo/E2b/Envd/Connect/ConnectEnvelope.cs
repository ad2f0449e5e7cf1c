using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;

namespace SoulBox.Silo.E2b.Envd.Connect;

/// <summary>Connect's streaming envelope: <c>[flags u8][length u32 big-endian][message]</c>. Flag 0x01 marks a
/// compressed message (never sent by the SDK, refused here), 0x02 the end-of-stream frame whose message is the
/// JSON <c>{}</c> or <c>{"error":{"code":...,"message":...}}</c>.</summary>
internal static class ConnectEnvelope
{
    public const int HeaderBytes = 5;
    public const byte CompressedFlag = 0x01;
    public const byte EndStreamFlag = 0x02;

    /// <summary>Reads the one envelope a server-streaming request carries and returns its message as text.
    /// Anything else (a compressed or end-stream flag, a length over <paramref name="maxMessageBytes"/>, a body that
    /// ends early or goes on after the message) is invalid_argument.</summary>
    public static async ValueTask<string> ReadSingleAsync(PipeReader body, int maxMessageBytes, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await body.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (TryReadSingle(buffer, result.IsCompleted, maxMessageBytes, out var message, out var error))
            {
                body.AdvanceTo(buffer.End);
                return message!;
            }

            if (error is not null)
            {
                throw new ConnectException(ConnectCodes.InvalidArgument, error);
            }

            body.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Parses the request envelope from everything read so far. Returns false with no error while more bytes
    /// are needed; false with an error for a malformed request.</summary>
    internal static bool TryReadSingle(ReadOnlySequence<byte> buffer, bool complete, int maxMessageBytes, out string? message, out string? error)
    {
        message = null;
        error = null;
        if (buffer.Length < HeaderBytes)
        {
            if (complete)
            {
                error = buffer.Length == 0 ? "The request has no message envelope." : "The request ends inside its envelope header.";
            }

            return false;
        }

        Span<byte> header = stackalloc byte[HeaderBytes];
        buffer.Slice(0, HeaderBytes).CopyTo(header);
        var flags = header[0];
        var length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        if ((flags & CompressedFlag) != 0)
        {
            error = "Compressed messages are not accepted (send Connect-Content-Encoding identity).";
            return false;
        }

        if (flags != 0)
        {
            error = $"The request envelope has flags 0x{flags:x2}; a request message has none.";
            return false;
        }

        if (length > (uint)maxMessageBytes)
        {
            error = $"The request message has {length} bytes; at most {maxMessageBytes} are accepted.";
            return false;
        }

        if (buffer.Length < HeaderBytes + length)
        {
            if (complete)
            {
                error = $"The request ends after {buffer.Length - HeaderBytes} of its message's {length} bytes.";
            }

            return false;
        }

        if (buffer.Length > HeaderBytes + length)
        {
            error = "The request carries more than one message; this call takes one.";
            return false;
        }

        message = Encoding.UTF8.GetString(buffer.Slice(HeaderBytes, length));
        return true;
    }

    /// <summary>Writes one frame (<paramref name="flags"/>, then <paramref name="json"/> as UTF-8) into
    /// <paramref name="writer"/> without flushing.</summary>
    public static void Write(IBufferWriter<byte> writer, byte flags, string json)
    {
        var length = Encoding.UTF8.GetByteCount(json);
        var span = writer.GetSpan(HeaderBytes + length);
        span[0] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)length);
        Encoding.UTF8.GetBytes(json, span[HeaderBytes..]);
        writer.Advance(HeaderBytes + length);
    }

    /// <summary>A whole frame as bytes (for frames sent often and never changing, such as keep-alives).</summary>
    public static byte[] Frame(byte flags, string json)
    {
        var writer = new ArrayBufferWriter<byte>(HeaderBytes + json.Length * 3);
        Write(writer, flags, json);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>The end-of-stream message: <c>{}</c>, or the error.</summary>
    public static string EndStreamJson(ConnectException? error) => error is null
        ? "{}"
        : $"{{\"error\":{ErrorJson(error.Code, error.Message)}}}";

    /// <summary><c>{"code":...,"message":...}</c>, the body of a unary error and the error of an end-of-stream frame.</summary>
    public static string ErrorJson(string code, string message)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + message.Length);
        using (var json = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("code", code);
            json.WriteString("message", message);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
