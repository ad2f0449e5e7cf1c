using System.Text;
using SoulBox.Agent.Protocol;

namespace SoulBox.Grains.Execution;

/// <summary>Decodes streamed output chunks as UTF-8 (a character split across chunks is kept whole) and
/// keeps the full text of each stream for the final result.</summary>
internal sealed class OutputCollector
{
    private readonly Decoder _stdoutDecoder = Encoding.UTF8.GetDecoder();
    private readonly Decoder _stderrDecoder = Encoding.UTF8.GetDecoder();
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    public string Stdout => _stdout.ToString();

    public string Stderr => _stderr.ToString();

    /// <summary>Adds a chunk and returns its text as an event (null when the chunk ended mid-character).</summary>
    public RunEvent? Add(OutputStream stream, byte[] payload)
    {
        var decoder = stream == OutputStream.Stdout ? _stdoutDecoder : _stderrDecoder;
        var chars = new char[decoder.GetCharCount(payload, flush: false)];
        var count = decoder.GetChars(payload, chars, flush: false);
        if (count == 0)
        {
            return null;
        }

        var text = new string(chars, 0, count);
        (stream == OutputStream.Stdout ? _stdout : _stderr).Append(text);
        return new RunEvent { Kind = stream == OutputStream.Stdout ? OutputKind.Stdout : OutputKind.Stderr, Text = text };
    }
}
