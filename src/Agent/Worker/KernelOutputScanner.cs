namespace SoulBox.Agent.Worker;

/// <summary>Splits one kernel output pipe into user output and end-of-run markers. The kernel ends
/// every run with MARKER (stderr) and MARKER + JSON reply + '\n' (stdout); the marker holds a random
/// nonce, so user output cannot fake it by accident. A marker split across reads is held back
/// until the next read decides it.</summary>
internal sealed class KernelOutputScanner(byte[] marker, bool markerCarriesReply)
{
    private byte[] _pending = [];
    private readonly MemoryStream _reply = new();
    private bool _inReply;

    /// <summary>One piece of scanned input: user output, or an end-of-run marker (with its reply on stdout).</summary>
    internal readonly record struct Item(ReadOnlyMemory<byte> Output, bool IsMarker, byte[]? Reply);

    public List<Item> Feed(ReadOnlySpan<byte> chunk)
    {
        var items = new List<Item>(2);
        byte[] data;
        if (_pending.Length == 0)
        {
            data = chunk.ToArray();
        }
        else
        {
            data = [.. _pending, .. chunk];
            _pending = [];
        }

        var position = 0;
        while (position < data.Length)
        {
            var rest = data.AsSpan(position);
            if (_inReply)
            {
                var newline = rest.IndexOf((byte)'\n');
                if (newline < 0)
                {
                    _reply.Write(rest);
                    break;
                }

                _reply.Write(rest[..newline]);
                items.Add(new Item(default, true, _reply.ToArray()));
                _reply.SetLength(0);
                _inReply = false;
                position += newline + 1;
                continue;
            }

            var index = rest.IndexOf(marker);
            if (index >= 0)
            {
                if (index > 0)
                {
                    items.Add(new Item(data.AsMemory(position, index), false, null));
                }

                position += index + marker.Length;
                if (markerCarriesReply)
                {
                    _inReply = true;
                }
                else
                {
                    items.Add(new Item(default, true, null));
                }

                continue;
            }

            var keep = PartialMarkerLength(rest);
            if (rest.Length > keep)
            {
                items.Add(new Item(data.AsMemory(position, rest.Length - keep), false, null));
            }

            _pending = rest[(rest.Length - keep)..].ToArray();
            break;
        }

        return items;
    }

    /// <summary>Length of the longest tail of <paramref name="data"/> that starts the marker.</summary>
    private int PartialMarkerLength(ReadOnlySpan<byte> data)
    {
        if (data[^Math.Min(data.Length, marker.Length - 1)..].IndexOf(marker[0]) < 0)
        {
            return 0;
        }

        for (var length = Math.Min(data.Length, marker.Length - 1); length > 0; length--)
        {
            if (data[^length..].SequenceEqual(marker.AsSpan(0, length)))
            {
                return length;
            }
        }

        return 0;
    }
}
