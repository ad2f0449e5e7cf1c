using System.Buffers;
using System.Text;
using SoulBox.Agent.Protocol;

namespace SoulBox.Grains.Execution;

/// <summary>Decodes streamed output chunks as UTF-8 (a character split across chunks is kept whole) and keeps the
/// text of each stream for the final result, up to <paramref name="maxBytesPerStream"/> and what
/// <paramref name="budget"/> allows. It does not trust the agent to have applied the cap: past it (or past the
/// budget) chunks still come back as events for a live stream but are no longer kept, and the stream is marked
/// truncated.</summary>
internal sealed class OutputCollector(long maxBytesPerStream = long.MaxValue, RetainedOutputBudget.Lease? budget = null)
{
    private readonly Decoder _stdoutDecoder = Encoding.UTF8.GetDecoder();
    private readonly Decoder _stderrDecoder = Encoding.UTF8.GetDecoder();
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly long[] _kept = new long[2];
    private readonly bool[] _truncated = new bool[2];

    public string Stdout => _stdout.ToString();

    public string Stderr => _stderr.ToString();

    /// <summary>True when stdout output was left out of <see cref="Stdout"/>.</summary>
    public bool StdoutTruncated => _truncated[(int)OutputStream.Stdout];

    public bool StderrTruncated => _truncated[(int)OutputStream.Stderr];

    /// <summary>Adds a chunk and returns its text as an event (null when the chunk ended mid-character).</summary>
    public RunEvent? Add(OutputStream stream, byte[] payload)
    {
        // A pooled buffer: a fresh one per 64 KiB chunk would be a large-object allocation each time, garbage that
        // only a full collection frees, and floods of output would swell the node with it.
        var decoder = stream == OutputStream.Stdout ? _stdoutDecoder : _stderrDecoder;
        var chars = ArrayPool<char>.Shared.Rent(Math.Max(1, decoder.GetCharCount(payload, flush: false)));
        string text;
        try
        {
            var count = decoder.GetChars(payload, chars, flush: false);
            if (count == 0)
            {
                return null;
            }

            text = new string(chars, 0, count);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }

        var index = (int)stream;
        if (!_truncated[index] && _kept[index] + payload.Length <= maxBytesPerStream && (budget?.TryTake(payload.Length) ?? true))
        {
            _kept[index] += payload.Length;
            (stream == OutputStream.Stdout ? _stdout : _stderr).Append(text);
        }
        else
        {
            // Once a chunk is left out nothing later is kept either: the result is a prefix, never a patchwork.
            _truncated[index] = true;
        }

        return new RunEvent { Kind = stream == OutputStream.Stdout ? OutputKind.Stdout : OutputKind.Stderr, Text = text };
    }
}
