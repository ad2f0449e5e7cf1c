using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SoulBox.Grains.Hosting;

namespace SoulBox.Grains.Execution;

/// <summary>A worker's staging area for the input files of batches (stdin and expected output too large for one
/// message): a set per batch, opened for a tenant, filled chunk by chunk, taken by the batch that names it and removed
/// when that batch ends. A set whose batch never comes (the caller went away mid-upload) expires after
/// <see cref="BatchInputOptions.IdleSeconds"/>. Bounded per file, per set, per tenant and for the node; the files
/// live in a host directory only the silo reads and are never mounted into a container.</summary>
internal sealed partial class BatchInputStore : IDisposable
{
    private readonly BatchInputOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<BatchInputStore> _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, StagedSet> _sets = new(StringComparer.Ordinal);
    private readonly ITimer _sweep;
    private long _bytes;
    private bool _prepared;

    public BatchInputStore(IOptions<BatchInputOptions> options, NodeIdentity node, TimeProvider time, ILogger<BatchInputStore> logger)
        : this(options.Value, options.Value.Directory ?? Path.Combine(Path.GetTempPath(), "soulbox-batch-inputs", node.Name), time, logger)
    {
    }

    public BatchInputStore(BatchInputOptions options, string directory, TimeProvider time, ILogger<BatchInputStore> logger)
    {
        _options = options;
        Directory = directory;
        _time = time;
        _logger = logger;
        var period = TimeSpan.FromSeconds(Math.Max(1, options.IdleSeconds / 4));
        _sweep = time.CreateTimer(_ => RemoveExpired(), null, period, period);
    }

    /// <summary>The host directory of the sets.</summary>
    public string Directory { get; }

    /// <summary>Bytes staged now, all sets together.</summary>
    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

    /// <summary>Opens an empty set for <paramref name="tenant"/> and returns its id (128 random bits).</summary>
    public string Open(string tenant)
    {
        // Unix only: the modes keep other users of the host out (a Windows node runs no sandboxes anyway).
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Batch input files are staged on Unix nodes only.");
        }

        RemoveExpired();
        lock (_lock)
        {
            var open = _sets.Values.Count(s => s.Tenant == tenant);
            if (open >= _options.MaxSetsPerTenant)
            {
                throw new TooManyRequestsException(
                    $"Tenant '{tenant}' has {open} batches with input files open on this node; at most {_options.MaxSetsPerTenant} ({BatchInputOptions.SectionName}:MaxSetsPerTenant).", 2);
            }

            Prepare();
            var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            var path = Path.Combine(Directory, id);
            System.IO.Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            _sets[id] = new StagedSet(id, tenant, path, _time.GetUtcNow());
            return id;
        }
    }

    /// <summary>Appends <paramref name="chunk"/> to the file <paramref name="name"/> of the set, within every bound.</summary>
    public async Task AppendAsync(string id, string tenant, string name, ReadOnlyMemory<byte> chunk, CancellationToken cancellationToken)
    {
        // Unix only: the modes keep other users of the host out (a Windows node runs no sandboxes anyway).
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Batch input files are staged on Unix nodes only.");
        }

        ValidateName(name);
        if (chunk.Length > Grains.BatchInputWriter.ChunkBytes)
        {
            throw new RequestTooLargeException("files", Grains.BatchInputWriter.ChunkBytes, $"A chunk of an input file is at most {Grains.BatchInputWriter.ChunkBytes} bytes; got {chunk.Length}.");
        }

        var set = Find(id, tenant);
        await set.Writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            BatchInputFile file;
            lock (_lock)
            {
                if (set.Taken || !_sets.ContainsKey(id))
                {
                    throw Gone(id);
                }

                if (!set.Files.TryGetValue(name, out var existing))
                {
                    if (set.Files.Count >= _options.MaxFilesPerSet)
                    {
                        throw new SandboxValidationException("files", $"A batch takes at most {_options.MaxFilesPerSet} input files ({BatchInputOptions.SectionName}:MaxFilesPerSet).");
                    }

                    existing = new BatchInputFile(name, Path.Combine(set.Path, $"f{set.Files.Count}"), 0);
                }

                if (existing.Length + chunk.Length > _options.MaxFileBytes)
                {
                    throw new RequestTooLargeException("files", _options.MaxFileBytes,
                        $"The input file '{name}' is larger than {_options.MaxFileBytes} bytes ({BatchInputOptions.SectionName}:MaxFileBytes).");
                }

                if (set.Bytes + chunk.Length > _options.MaxSetBytes)
                {
                    throw new RequestTooLargeException("files", _options.MaxSetBytes,
                        $"The batch's input files are larger than {_options.MaxSetBytes} bytes together ({BatchInputOptions.SectionName}:MaxSetBytes).");
                }

                var tenantBytes = _sets.Values.Where(s => s.Tenant == tenant).Sum(s => s.Bytes);
                if (tenantBytes + chunk.Length > _options.MaxBytesPerTenant)
                {
                    throw new TooManyRequestsException(
                        $"Tenant '{tenant}' stages {tenantBytes} bytes of batch input files on this node, its limit is {_options.MaxBytesPerTenant} ({BatchInputOptions.SectionName}:MaxBytesPerTenant); retry when its other batches have ended.", 5);
                }

                if (_bytes + chunk.Length > _options.MaxBytes)
                {
                    throw new NodeBusyException(
                        $"The node stages {_bytes} bytes of batch input files, its limit is {_options.MaxBytes} ({BatchInputOptions.SectionName}:MaxBytes); retry when other batches have ended.", 5);
                }

                // Counted before the write: two appends to two sets cannot both pass the node's bound.
                _bytes += chunk.Length;
                set.Bytes += chunk.Length;
                file = existing with { Length = existing.Length + chunk.Length };
                set.Files[name] = file;
                set.Touched = _time.GetUtcNow();
            }

            var append = new FileStreamOptions
            {
                Mode = FileMode.Append,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            };
            try
            {
                await using var stream = new FileStream(file.Path, append);
                await stream.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                // A full disk, most likely: the caller's upload fails and discards the set.
                LogWriteFailed(e, set.Path);
                throw new NodeBusyException("The node could not store the batch's input files (its staging disk may be full); retry later.", 30);
            }
        }
        finally
        {
            set.Writing.Release();
        }
    }

    /// <summary>Takes the set for its batch: no more appends, no expiry; disposing the result removes it.</summary>
    public BatchInputSet Take(string id, string tenant)
    {
        var set = Find(id, tenant);
        lock (_lock)
        {
            if (set.Taken || !_sets.ContainsKey(id))
            {
                throw Gone(id);
            }

            set.Taken = true;
            return new BatchInputSet(id, new Dictionary<string, BatchInputFile>(set.Files, StringComparer.Ordinal), Remove);
        }
    }

    /// <summary>Removes the set of <paramref name="tenant"/> if it is there and not taken by a batch.</summary>
    public void Discard(string id, string tenant)
    {
        lock (_lock)
        {
            if (!_sets.TryGetValue(id, out var set) || set.Tenant != tenant || set.Taken)
            {
                return;
            }
        }

        Remove(id);
    }

    public void Dispose()
    {
        _sweep.Dispose();
        lock (_lock)
        {
            _sets.Clear();
            _bytes = 0;
        }

        TryDeleteDirectory(Directory);
    }

    private StagedSet Find(string id, string tenant)
    {
        lock (_lock)
        {
            // Another tenant's set is answered as a missing one: ids are not for guessing.
            return _sets.TryGetValue(id, out var set) && set.Tenant == tenant ? set : throw Gone(id);
        }
    }

    private void Remove(string id)
    {
        StagedSet? set;
        lock (_lock)
        {
            if (!_sets.Remove(id, out set))
            {
                return;
            }

            _bytes -= set.Bytes;
        }

        TryDeleteDirectory(set.Path);
    }

    private void RemoveExpired()
    {
        List<string> expired;
        var cutoff = _time.GetUtcNow() - TimeSpan.FromSeconds(_options.IdleSeconds);
        lock (_lock)
        {
            expired = [.. _sets.Values.Where(s => !s.Taken && s.Touched < cutoff).Select(s => s.Id)];
        }

        foreach (var id in expired)
        {
            LogExpired(id);
            Remove(id);
        }
    }

    /// <summary>Empties what an earlier run of the node left, once, before the first set.</summary>
    private void Prepare()
    {
        // Unix only: the modes keep other users of the host out (a Windows node runs no sandboxes anyway).
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Batch input files are staged on Unix nodes only.");
        }

        if (_prepared)
        {
            return;
        }

        TryDeleteDirectory(Directory);
        System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _prepared = true;
    }

    private static void ValidateName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 255 || name.Any(char.IsControl))
        {
            throw new SandboxValidationException("files", "An input file needs a name of 1 to 255 characters without control characters.");
        }
    }

    private SandboxValidationException Gone(string id) =>
        new("inputSet", $"No open input set '{id}' on this node: it was used by a batch already, or expired {_options.IdleSeconds} s after its last upload.");

    private void TryDeleteDirectory(string path)
    {
        try
        {
            if (System.IO.Directory.Exists(path))
            {
                System.IO.Directory.Delete(path, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogDeleteFailed(e, path);
        }
    }

    private sealed class StagedSet(string id, string tenant, string path, DateTimeOffset touched)
    {
        public string Id { get; } = id;
        public string Tenant { get; } = tenant;
        public string Path { get; } = path;
        public Dictionary<string, BatchInputFile> Files { get; } = new(StringComparer.Ordinal);
        public SemaphoreSlim Writing { get; } = new(1, 1);
        public long Bytes { get; set; }
        public DateTimeOffset Touched { get; set; } = touched;
        public bool Taken { get; set; }
    }

    [LoggerMessage(1, LogLevel.Information, "Batch input set {InputSet} expired before its batch ran; its files are removed")]
    private partial void LogExpired(string inputSet);

    [LoggerMessage(3, LogLevel.Warning, "Could not write a batch input file in {Path}")]
    private partial void LogWriteFailed(Exception exception, string path);

    [LoggerMessage(2, LogLevel.Warning, "Could not remove the batch input directory {Path}")]
    private partial void LogDeleteFailed(Exception exception, string path);
}
