using System.Buffers.Text;

namespace SoulBox.Agent.Worker;

/// <summary>Splits one kernel output pipe into user output, end-of-run markers and rich results. The kernel ends
/// every run with MARKER + TURN + '\n' on stderr and MARKER + TURN + ':' + JSON reply + '\n' on
/// stdout (TURN = the run's number); a rich result during a run is MARKER + TURN + '=' + JSON + '\n' on stdout. A marker split across reads is held back until the next read
/// decides it. What this class holds is bounded: at most the marker's length of undecided bytes, and
/// at most <see cref="MaxReplyBytes"/> of a reply line; a longer "reply" (a forged marker followed by
/// an endless line) is dropped and reported as too large instead of growing the agent.</summary>
internal sealed class KernelOutputScanner(byte[] marker, int maxReplyBytes = KernelOutputScanner.MaxReplyBytes)
{
    /// <summary>Largest reply line kept (the repr of a run's last expression lives in it).</summary>
    public const int MaxReplyBytes = 4 * 1024 * 1024;

    private byte[] _pending = [];
    private readonly MemoryStream _reply = new();
    private bool _inReply;
    private bool _replyTooLarge;

    /// <summary>One piece of scanned input: user output, or an end-of-run marker with the turn it names
    /// (-1 when unreadable) and, on stdout, its reply (null when there is none or it was too large); or, with
    /// <see cref="IsResult"/>, a rich result of that turn (its JSON in Reply).</summary>
    internal readonly record struct Item(ReadOnlyMemory<byte> Output, bool IsMarker, long Turn, byte[]? Reply, bool ReplyTooLarge, bool IsResult = false);

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
                var part = newline < 0 ? rest : rest[..newline];
                Append(part);
                if (newline < 0)
                {
                    break;
                }

                items.Add(FinishReply());
                position += newline + 1;
                continue;
            }

            var index = rest.IndexOf(marker);
            if (index >= 0)
            {
                if (index > 0)
                {
                    items.Add(new Item(data.AsMemory(position, index), false, 0, null, false));
                }

                position += index + marker.Length;
                _inReply = true;
                continue;
            }

            var keep = PartialMarkerLength(rest);
            if (rest.Length > keep)
            {
                items.Add(new Item(data.AsMemory(position, rest.Length - keep), false, 0, null, false));
            }

            _pending = rest[(rest.Length - keep)..].ToArray();
            break;
        }

        return items;
    }

    private void Append(ReadOnlySpan<byte> part)
    {
        if (_replyTooLarge)
        {
            return;
        }

        if (_reply.Length + part.Length <= maxReplyBytes)
        {
            _reply.Write(part);
            return;
        }

        // Keep only the turn and its separator, so the marker can still be matched to its run (they may be in this
        // very part: the line's start is filled up to the bound first).
        _reply.Write(part[..(int)Math.Min(part.Length, maxReplyBytes - _reply.Length)]);
        var buffer = _reply.GetBuffer().AsSpan(0, (int)_reply.Length);
        var separator = buffer.IndexOfAnyExceptInRange((byte)'0', (byte)'9');
        _reply.SetLength(separator >= 0 ? separator + 1 : 0);
        _replyTooLarge = true;
    }

    private Item FinishReply()
    {
        var line = _reply.GetBuffer().AsSpan(0, (int)_reply.Length);
        // TURN, then ':' (the run's end and reply) or '=' (a rich result; the run goes on).
        var separator = line.IndexOfAnyExceptInRange((byte)'0', (byte)'9');
        var isResult = separator >= 0 && line[separator] == (byte)'=';
        if (separator >= 0 && line[separator] is not ((byte)':' or (byte)'='))
        {
            separator = -1;
        }

        var turnText = separator >= 0 ? line[..separator] : line;
        var turn = Utf8Parser.TryParse(turnText, out long parsed, out var consumed) && consumed == turnText.Length && parsed >= 0 ? parsed : -1;
        var reply = separator >= 0 && !_replyTooLarge ? line[(separator + 1)..].ToArray() : null;
        var item = new Item(default, true, turn, reply, _replyTooLarge, isResult);
        _reply.SetLength(0);
        _inReply = false;
        _replyTooLarge = false;
        return item;
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
