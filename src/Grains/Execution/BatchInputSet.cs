namespace SoulBox.Grains.Execution;

/// <summary>One staged input file: the name the cases use, where it is on the host, and its size.</summary>
internal sealed record BatchInputFile(string Name, string Path, long Length);

/// <summary>The input files of one batch, taken from the <see cref="BatchInputStore"/> for the batch's run; disposing
/// it removes the files.</summary>
internal sealed class BatchInputSet(string id, IReadOnlyDictionary<string, BatchInputFile> files, Action<string> remove) : IDisposable
{
    private int _disposed;

    public string Id { get; } = id;

    public IReadOnlyDictionary<string, BatchInputFile> Files { get; } = files;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            remove(Id);
        }
    }
}
