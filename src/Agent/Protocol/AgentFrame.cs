using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text.Json;

namespace SoulBox.Agent.Protocol;

/// <summary>One decoded frame: a JSON header and its raw payload (copied out of the pipe).</summary>
public readonly record struct AgentFrame<T>(T Header, byte[] Payload);

/// <summary>Encodes and decodes frames (see AgentMessages.cs for the layout).</summary>
public static class AgentFrameCodec
{
    private const int PrefixBytes = 8;

    /// <summary>Writes one frame and flushes, or leaves it in the writer's buffer for the next frame's flush when
    /// <paramref name="flush"/> is false (the caller knows another frame follows at once). Callers serialise writers on
    /// one connection.</summary>
    public static async ValueTask WriteAsync<T>(PipeWriter writer, T header, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken, bool flush = true)
        where T : class
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(header, typeof(T), AgentJsonContext.Default);
        var frameLength = 4 + json.Length + payload.Length;
        if (frameLength > AgentProtocol.MaxFrameBytes)
        {
            throw new InvalidDataException($"Frame of {frameLength} bytes exceeds the {AgentProtocol.MaxFrameBytes}-byte limit.");
        }

        var span = writer.GetSpan(PrefixBytes);
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)frameLength);
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], (uint)json.Length);
        writer.Advance(PrefixBytes);
        writer.Write(json);
        if (!payload.IsEmpty)
        {
            writer.Write(payload.Span);
        }

        if (flush)
        {
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Parses one complete frame from the front of buffer, advancing it past the frame.
    /// Returns false when the buffer does not yet hold a whole frame.</summary>
    public static bool TryRead<T>(ref ReadOnlySequence<byte> buffer, out AgentFrame<T> frame)
        where T : class
    {
        frame = default;
        if (buffer.Length < PrefixBytes)
        {
            return false;
        }

        Span<byte> prefix = stackalloc byte[PrefixBytes];
        buffer.Slice(0, PrefixBytes).CopyTo(prefix);
        var frameLength = BinaryPrimitives.ReadUInt32BigEndian(prefix);
        var headerLength = BinaryPrimitives.ReadUInt32BigEndian(prefix[4..]);
        if (frameLength > AgentProtocol.MaxFrameBytes || headerLength > frameLength - 4 || frameLength < 4)
        {
            throw new InvalidDataException($"Malformed frame: length {frameLength}, header {headerLength}.");
        }

        if (buffer.Length < 4 + frameLength)
        {
            return false;
        }

        var headerBytes = buffer.Slice(PrefixBytes, headerLength);
        var reader = new Utf8JsonReader(headerBytes);
        var header = (T?)JsonSerializer.Deserialize(ref reader, typeof(T), AgentJsonContext.Default)
            ?? throw new InvalidDataException("Frame header is null.");
        var payload = buffer.Slice(PrefixBytes + headerLength, frameLength - 4 - headerLength).ToArray();
        frame = new AgentFrame<T>(header, payload);
        buffer = buffer.Slice(4 + frameLength);
        return true;
    }
}
