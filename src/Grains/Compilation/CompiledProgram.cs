using Microsoft.Win32.SafeHandles;

namespace SoulBox.Grains.Compilation;

/// <summary>A batch's compiled program, for every case to copy into its own fresh run directory: the compile cache's
/// entry, held open for the batch (an eviction meanwhile unlinks its name, not the open file; no run can reach it),
/// or, when the cache did not keep the build, the same entry bytes in memory (bounded by the cache's MaxEntryBytes).
/// Each <see cref="Open"/> is an independent read-only view, so cases in parallel executors read it at once.</summary>
internal sealed class CompiledProgram : IDisposable
{
    private readonly CompileLookup? _lookup;
    private readonly byte[]? _bytes;

    private CompiledProgram(CompileLookup? lookup, byte[]? bytes)
    {
        _lookup = lookup;
        _bytes = bytes;
    }

    /// <summary>Whether the program is the cache's entry (false: a copy in memory).</summary>
    public bool FromCache => _lookup is not null;

    public static CompiledProgram OfCacheEntry(CompileLookup hit) => new(hit, null);

    public static CompiledProgram InMemory(byte[] entry) => new(null, entry);

    public Stream Open() => _bytes is not null
        ? new MemoryStream(_bytes, writable: false)
        : new PositionalReadStream(_lookup!.Entry!.SafeFileHandle, _lookup.Entry.Length);

    public void Dispose() => _lookup?.Dispose();

    /// <summary>Reads a file through its handle at its own offset (pread), so any number of readers share one handle.</summary>
    private sealed class PositionalReadStream(SafeFileHandle handle, long length) : Stream
    {
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var read = RandomAccess.Read(handle, buffer, _position);
            _position += read;
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await RandomAccess.ReadAsync(handle, buffer, _position, cancellationToken).ConfigureAwait(false);
            _position += read;
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
