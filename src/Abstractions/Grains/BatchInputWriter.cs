namespace SoulBox.Grains;

/// <summary>Sends a batch's input files to the node that will run it, in chunks of at most
/// <see cref="ChunkBytes"/>: no hop holds a whole file, so inputs far larger than one message (or one JSON body) fit.
/// Given to the callback of <see cref="SoulBoxExecution.ExecuteBatchAsync(IGrainFactory, ExecuteBatchRequest, string, Func{BatchInputWriter, CancellationToken, Task}, CancellationToken)"/>.</summary>
public sealed class BatchInputWriter
{
    /// <summary>Bytes per grain call: well inside Orleans' message limit, and what the agent takes per stdin frame.</summary>
    public const int ChunkBytes = 1024 * 1024;

    private readonly INodeGrain _node;
    private readonly string _inputSet;
    private readonly string _tenant;
    private readonly HashSet<string> _written = new(StringComparer.Ordinal);

    internal BatchInputWriter(INodeGrain node, string inputSet, string tenant)
    {
        _node = node;
        _inputSet = inputSet;
        _tenant = tenant;
    }

    /// <summary>The names written so far.</summary>
    public IReadOnlyCollection<string> Names => _written;

    /// <summary>Writes <paramref name="content"/>, read to its end, as the input file <paramref name="name"/> (a name
    /// the cases' <c>stdinFile</c> / <c>expectedOutputFile</c> use). Each name once per batch.</summary>
    public async Task WriteAsync(string name, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (!_written.Add(name))
        {
            throw new SandboxValidationException("files", $"The input file '{name}' is sent twice; each name once per batch.");
        }

        var buffer = new byte[ChunkBytes];
        for (var chunk = 0; ; chunk++)
        {
            var read = await content.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            // An empty file is still one (empty) append: the node learns the name.
            if (read > 0 || chunk == 0)
            {
                await _node.AppendBatchInputAsync(_inputSet, _tenant, name, buffer[..read], cancellationToken).ConfigureAwait(false);
            }

            if (read < buffer.Length)
            {
                return;
            }
        }
    }
}
