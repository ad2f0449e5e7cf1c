namespace SoulBox.Grains.Compilation;

/// <summary>The answer of <see cref="CompileCache.LookupAsync"/>: a hit (<see cref="Entry"/> opened for reading), a
/// miss whose compile may be stored (<see cref="CanStore"/>: this caller is the one compiling this key), or a miss that
/// compiles alone. Disposing it closes the entry, or ends the leader's turn so that identical runs waiting for it go on.</summary>
internal sealed class CompileLookup : IDisposable
{
    private readonly CompileCache? _cache;
    private readonly string? _key;
    private readonly TaskCompletionSource<bool>? _compiling;
    private bool _stored;

    private CompileLookup(FileStream? entry, TimeSpan waited, CompileCache? cache, string? key, TaskCompletionSource<bool>? compiling)
    {
        Entry = entry;
        Waited = waited;
        _cache = cache;
        _key = key;
        _compiling = compiling;
    }

    /// <summary>The entry's file, positioned at its start; null on a miss.</summary>
    public FileStream? Entry { get; }

    /// <summary>How long the lookup waited for an identical compile of another run.</summary>
    public TimeSpan Waited { get; }

    public bool CanStore => _cache is not null;

    public static CompileLookup Hit(FileStream entry, TimeSpan waited) => new(entry, waited, null, null, null);

    public static CompileLookup Lead(CompileCache cache, string key, TaskCompletionSource<bool> compiling, TimeSpan waited) =>
        new(null, waited, cache, key, compiling);

    public static CompileLookup Miss(TimeSpan waited) => new(null, waited, null, null, null);

    /// <summary>Stores what the compile wrote (only the leader of a miss can); true when it was kept.</summary>
    public async Task<bool> StoreAsync(CompiledOutputs outputs, CancellationToken cancellationToken)
    {
        if (_cache is null || _stored)
        {
            return false;
        }

        _stored = await _cache.StoreAsync(_key!, outputs, cancellationToken).ConfigureAwait(false);
        return _stored;
    }

    public void Dispose()
    {
        Entry?.Dispose();
        if (_cache is not null)
        {
            _cache.Release(_key!, _compiling!, _stored);
        }
    }
}
