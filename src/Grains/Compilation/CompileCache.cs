using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SoulBox.Grains.Containers;
using SoulBox.Grains.Hosting;
using SoulBox.Grains.Telemetry;

namespace SoulBox.Grains.Compilation;

/// <summary>This node's content-addressed store of compile outputs for one-shot runs (<see cref="CompileKey"/> →
/// the files a successful compile wrote, and what it printed), so the same program compiled again on this node is
/// not: a judge running one submission against many inputs, an agent re-running a script.
/// <para>Entries live in one host directory, readable by the silo alone and never mounted into a container; a run
/// gets the entry it hit copied into its own fresh work directory through the agent's file API, never the cache
/// (see <see cref="CompileOutputTransfer"/>). Bounded by <see cref="CompileCacheOptions.MaxBytes"/> with
/// least-recently-used eviction (<see cref="CompileCacheIndex"/>). An entry is written to a temporary file and renamed
/// into place, and identical concurrent misses are single-flighted: the first compiles and stores, the others wait
/// for it (no longer than their own compile timeout) and then hit. The index is in memory: the directory is emptied
/// on first use and removed when the node stops.</para></summary>
internal sealed partial class CompileCache : IDisposable
{
    private const string EntrySuffix = ".entry";

    private readonly CompileCacheOptions _options;
    private readonly SoulBoxMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<CompileCache> _logger;
    private readonly Lock _lock = new();
    private readonly CompileCacheIndex _index;
    // Keys being compiled by a leader; waiters learn whether it stored an entry.
    private readonly Dictionary<string, TaskCompletionSource<bool>> _compiling = new(StringComparer.Ordinal);
    private bool _prepared;
    private bool _disposed;

    public CompileCache(
        IOptions<CompileCacheOptions> options,
        IOptions<ContainerRuntimeOptions> runtimeOptions,
        NodeIdentity node,
        SoulBoxMetrics metrics,
        TimeProvider time,
        ILogger<CompileCache> logger)
        : this(options.Value, options.Value.Directory ?? Path.Combine(runtimeOptions.Value.RunDirectory, "compile-cache", node.Name), metrics, time, logger)
    {
    }

    public CompileCache(CompileCacheOptions options, string directory, SoulBoxMetrics metrics, TimeProvider time, ILogger<CompileCache> logger)
    {
        _options = options;
        Directory = directory;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _index = new CompileCacheIndex(options.MaxBytes);
        metrics.CompileCacheSize = () => { lock (_lock) { return (_index.Bytes, _index.Count); } };
    }

    public bool Enabled => _options.Enabled;

    public CompileCacheOptions Options => _options;

    /// <summary>The host directory of the entries.</summary>
    public string Directory { get; }

    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _index.Bytes;
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _index.Count;
            }
        }
    }

    /// <summary>Finds <paramref name="key"/>: a hit (the entry opened for reading), or a miss that may store (this
    /// caller compiles first), or, after waiting up to <paramref name="maxWait"/> for an identical compile that stored
    /// nothing or took too long, a miss that may not. Dispose the lookup when the compile is done.</summary>
    public async Task<CompileLookup> LookupAsync(string key, string language, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        while (true)
        {
            TaskCompletionSource<bool>? leader;
            lock (_lock)
            {
                if (TryOpen(key) is { } entry)
                {
                    _metrics.CompileCacheHit(language);
                    return CompileLookup.Hit(entry, _time.GetElapsedTime(started));
                }

                if (!_compiling.TryGetValue(key, out leader))
                {
                    var compiling = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    _compiling[key] = compiling;
                    _metrics.CompileCacheMiss(language);
                    return CompileLookup.Lead(this, key, compiling, _time.GetElapsedTime(started));
                }
            }

            var remaining = maxWait - _time.GetElapsedTime(started);
            var stored = false;
            if (remaining > TimeSpan.Zero)
            {
                try
                {
                    stored = await leader.Task.WaitAsync(remaining, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                }
            }

            if (!stored)
            {
                // The leader's compile failed, was not kept, or outlasts this run's compile timeout: compile alone.
                _metrics.CompileCacheMiss(language);
                return CompileLookup.Miss(_time.GetElapsedTime(started));
            }

            // Stored: look again (a hit, unless it was evicted already; then this caller leads).
        }
    }

    /// <summary>Writes the entry to a temporary file, renames it into place and evicts what no longer fits.
    /// False when it was not kept (too large, the cache stopped, or the disk failed, which is logged).</summary>
    internal async Task<bool> StoreAsync(string key, CompiledOutputs outputs, CancellationToken cancellationToken)
    {
        if (outputs.ContentBytes > _options.MaxEntryBytes || !Prepare())
        {
            return false;
        }

        var temporary = Path.Combine(Directory, $"{key}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var file = new FileStream(temporary, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Options = FileOptions.Asynchronous,
            }))
            {
                await CompileEntryFile.WriteAsync(file, outputs, cancellationToken).ConfigureAwait(false);
            }

            var bytes = new FileInfo(temporary).Length;
            if (bytes > _options.MaxEntryBytes)
            {
                File.Delete(temporary);
                return false;
            }

            IReadOnlyList<string> evicted;
            lock (_lock)
            {
                if (_disposed)
                {
                    File.Delete(temporary);
                    return false;
                }

                // Under the lock: a hit opens an entry under it too, so it sees the old file, the new one, or none.
                File.Move(temporary, EntryPath(key), overwrite: true);
                evicted = _index.Add(key, bytes);
                foreach (var old in evicted)
                {
                    TryDelete(EntryPath(old));
                }
            }

            if (evicted.Count > 0)
            {
                _metrics.CompileCacheEvicted(evicted.Count);
            }

            return !evicted.Contains(key);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            TryDelete(temporary);
            if (e is not OperationCanceledException)
            {
                LogStoreFailed(e, Directory);
            }

            return false;
        }
    }

    /// <summary>Ends a leader's compile: waiters hit when it stored, else compile on their own.</summary>
    internal void Release(string key, TaskCompletionSource<bool> compiling, bool stored)
    {
        lock (_lock)
        {
            if (_compiling.TryGetValue(key, out var current) && current == compiling)
            {
                _compiling.Remove(key);
            }
        }

        compiling.TrySetResult(stored);
    }

    private FileStream? TryOpen(string key)
    {
        if (!_index.Touch(key))
        {
            return null;
        }

        try
        {
            // Opened under the lock: an eviction later unlinks the name, and this handle still reads the whole entry.
            return new FileStream(EntryPath(key), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 4096, FileOptions.Asynchronous);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Removed or unreadable behind the node's back: forget it and compile.
            _index.Remove(key);
            LogEntryUnreadable(e, key);
            return null;
        }
    }

    /// <summary>Creates the directory (0700) the first time an entry is stored, emptying what an earlier process of
    /// this node left there: nothing indexes it, and nothing else may be in it.</summary>
    private bool Prepare()
    {
        // Unix only: the mode is what keeps other users of the host out (a Windows node runs no sandboxes anyway).
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        lock (_lock)
        {
            if (_disposed)
            {
                return false;
            }

            if (_prepared)
            {
                return true;
            }

            try
            {
                if (System.IO.Directory.Exists(Directory))
                {
                    System.IO.Directory.Delete(Directory, recursive: true);
                }

                System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                File.SetUnixFileMode(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                _prepared = true;
                return true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                LogStoreFailed(e, Directory);
                return false;
            }
        }
    }

    private string EntryPath(string key) => Path.Combine(Directory, key + EntrySuffix);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (!_prepared)
            {
                return;
            }

            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                LogRemoveFailed(e, Directory);
            }
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "A compile cache entry could not be stored in {Directory}; the run goes on uncached")]
    private partial void LogStoreFailed(Exception exception, string directory);

    [LoggerMessage(2, LogLevel.Warning, "Compile cache entry {Key} could not be read; dropped it")]
    private partial void LogEntryUnreadable(Exception exception, string key);

    [LoggerMessage(3, LogLevel.Warning, "The compile cache directory {Directory} could not be removed")]
    private partial void LogRemoveFailed(Exception exception, string directory);
}
