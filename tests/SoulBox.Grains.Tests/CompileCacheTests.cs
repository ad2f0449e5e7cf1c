using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SoulBox.Grains.Compilation;
using SoulBox.Grains.Telemetry;

namespace SoulBox.Grains.Tests;

/// <summary>The compile cache's key, its least-recently-used bound, its files on disk and its single flight, without
/// containers (a temporary directory, a fake clock). The end-to-end behaviour is in SoulBox.Silo.Tests.</summary>
public sealed class CompileCacheTests : IDisposable
{
    private static readonly string[] Argv = ["soulbox-go-build", "/home/sandbox/main.go", "/home/sandbox/.soulbox-main"];
    private static readonly Dictionary<string, string> Env = new() { ["GOCACHE"] = "/tmp/go-cache" };

    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"soulbox-ccache-test-{Guid.NewGuid():N}");
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Key_ChangesWithEveryInput_AndOnlyWithThem()
    {
        var files = new List<(string, byte[])> { ("main.go", "package main"u8.ToArray()) };
        var key = Key(files: files);

        Assert.Equal(key, Key(files: [("main.go", "package main"u8.ToArray())]));
        Assert.Matches("^[0-9a-f]{64}$", key);
        Assert.NotEqual(key, Key(language: "java", files: files));
        Assert.NotEqual(key, Key(image: "sha256:other", files: files));
        Assert.NotEqual(key, Key(directory: "/tmp/run", files: files));
        Assert.NotEqual(key, Key(argv: [.. Argv, "-trimpath"], files: files));
        Assert.NotEqual(key, Key(env: new() { ["GOCACHE"] = "/tmp/go-cache", ["GOFLAGS"] = "-race" }, files: files));
        Assert.NotEqual(key, Key(outputs: ["other"], files: files));
        Assert.NotEqual(key, Key(files: [("main.go", "package main "u8.ToArray())]));
        Assert.NotEqual(key, Key(files: [("other.go", "package main"u8.ToArray())]));
        Assert.NotEqual(key, Key(files: [.. files, ("data.txt", ""u8.ToArray())]));
    }

    [Fact]
    public void Key_TellsApartInputsThatConcatenateAlike()
    {
        Assert.NotEqual(Key(argv: ["ab", "c"]), Key(argv: ["a", "bc"]));
        Assert.NotEqual(Key(files: [("a", "bc"u8.ToArray())]), Key(files: [("ab", "c"u8.ToArray())]));
        Assert.NotEqual(Key(files: [("a", [1]), ("b", [2])]), Key(files: [("b", [2]), ("a", [1])]));
    }

    [Fact]
    public void Index_EvictsTheLeastRecentlyUsedEntriesPastTheBound()
    {
        var index = new CompileCacheIndex(maxBytes: 100);
        Assert.Empty(index.Add("a", 40));
        Assert.Empty(index.Add("b", 40));
        Assert.True(index.Touch("a")); // b is now the least recently used

        var evicted = index.Add("c", 40);

        Assert.Equal(["b"], evicted);
        Assert.Equal(80, index.Bytes);
        Assert.Equal(["c", "a"], index.KeysByUse());
        Assert.False(index.Touch("b"));
    }

    [Fact]
    public void Index_EvictsAsManyAsItTakes_AndAnEntryLargerThanTheBoundItself()
    {
        var index = new CompileCacheIndex(maxBytes: 100);
        index.Add("a", 30);
        index.Add("b", 30);
        index.Add("c", 30);

        Assert.Equal(["a", "b"], index.Add("d", 60));
        Assert.Equal(["c", "d", "big"], index.Add("big", 101));
        Assert.Equal(0, index.Bytes);
        Assert.Equal(0, index.Count);
    }

    [Fact]
    public void Index_ReplacingAnEntryCountsItsNewSizeOnce()
    {
        var index = new CompileCacheIndex(maxBytes: 100);
        index.Add("a", 30);
        index.Add("a", 50);

        Assert.Equal(50, index.Bytes);
        Assert.Equal(1, index.Count);
    }

    [Fact]
    public async Task Cache_StoresAnEntry_ThenHitsIt_WithTheSameContent()
    {
        using var cache = Cache();
        var outputs = Outputs(1000);

        using (var miss = await cache.LookupAsync("k1", "go", TimeSpan.FromSeconds(1), CancellationToken.None))
        {
            Assert.Null(miss.Entry);
            Assert.True(miss.CanStore);
            Assert.True(await miss.StoreAsync(outputs, CancellationToken.None));
        }

        using var hit = await cache.LookupAsync("k1", "go", TimeSpan.FromSeconds(1), CancellationToken.None);
        Assert.NotNull(hit.Entry);
        var header = CompileEntryFile.ReadHeader(hit.Entry);
        Assert.Equal("warning", header.Stderr);
        Assert.Equal([(".soulbox-classes", true, false, 0L), (".soulbox-classes/Main.class", false, false, 1000L)], header.Paths);
        var content = new byte[1000];
        await hit.Entry.ReadExactlyAsync(content);
        Assert.Equal(outputs.Paths[1].Content, content);
        Assert.Equal(-1, hit.Entry.ReadByte());
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Cache_DirectoryIsTheSilosAlone_AndHoldsNothingButEntries()
    {
        using var cache = Cache();
        await StoreAsync(cache, "k1", Outputs(10));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_directory));
        Assert.Equal(["k1.entry"], Directory.EnumerateFileSystemEntries(_directory).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Cache_PastMaxBytes_EvictsTheLeastRecentlyUsedEntryAndDeletesItsFile()
    {
        // Each entry is its content plus a header of a few dozen bytes: two fit in 1 MiB, three do not.
        using var cache = Cache(maxBytes: 1024 * 1024);
        await StoreAsync(cache, "a", Outputs(400_000));
        await StoreAsync(cache, "b", Outputs(400_000));
        (await cache.LookupAsync("a", "go", TimeSpan.Zero, CancellationToken.None)).Dispose(); // a used last

        await StoreAsync(cache, "c", Outputs(400_000));

        Assert.Equal(2, cache.Count);
        Assert.False(File.Exists(Path.Combine(_directory, "b.entry")));
        Assert.True(File.Exists(Path.Combine(_directory, "a.entry")));
        Assert.True(cache.Bytes <= 1024 * 1024);
        using var b = await cache.LookupAsync("b", "go", TimeSpan.Zero, CancellationToken.None);
        Assert.Null(b.Entry);
    }

    [Fact]
    public async Task Cache_AnEntryPastMaxEntryBytesIsNotKept()
    {
        using var cache = Cache(maxEntryBytes: 1000);
        using var miss = await cache.LookupAsync("k", "go", TimeSpan.Zero, CancellationToken.None);

        Assert.False(await miss.StoreAsync(Outputs(1001), CancellationToken.None));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public async Task Cache_AnIdenticalConcurrentMissWaitsForTheFirst_ThenHits()
    {
        using var cache = Cache();
        var leader = await cache.LookupAsync("k", "go", TimeSpan.FromSeconds(60), CancellationToken.None);
        Assert.True(leader.CanStore);

        var waiting = cache.LookupAsync("k", "go", TimeSpan.FromSeconds(60), CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        await leader.StoreAsync(Outputs(10), CancellationToken.None);
        leader.Dispose();

        using var follower = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(follower.Entry);
        Assert.False(follower.CanStore);
    }

    [Fact]
    public async Task Cache_WhenTheFirstStoresNothing_TheWaitersCompileAlone_AndStoreNothing()
    {
        using var cache = Cache();
        var leader = await cache.LookupAsync("k", "go", TimeSpan.FromSeconds(60), CancellationToken.None);
        var first = cache.LookupAsync("k", "go", TimeSpan.FromSeconds(60), CancellationToken.None);
        var second = cache.LookupAsync("k", "go", TimeSpan.FromSeconds(60), CancellationToken.None);

        leader.Dispose(); // a compile error: nothing stored

        foreach (var waiter in new[] { first, second })
        {
            using var lookup = await waiter.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Null(lookup.Entry);
            Assert.False(lookup.CanStore);
        }

        // The key is free again: the next run leads.
        using var next = await cache.LookupAsync("k", "go", TimeSpan.FromSeconds(60), CancellationToken.None);
        Assert.True(next.CanStore);
    }

    [Fact]
    public async Task Cache_AWaiterGivesUpAfterItsOwnCompileTimeout()
    {
        using var cache = Cache();
        using var leader = await cache.LookupAsync("k", "go", TimeSpan.FromSeconds(60), CancellationToken.None);
        var waiting = cache.LookupAsync("k", "go", TimeSpan.FromSeconds(5), CancellationToken.None);

        _time.Advance(TimeSpan.FromSeconds(5));

        using var lookup = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Null(lookup.Entry);
        Assert.False(lookup.CanStore);
        Assert.Equal(TimeSpan.FromSeconds(5), lookup.Waited);
    }

    [Fact]
    public async Task Cache_CountsHitsMissesAndEvictions()
    {
        var counts = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // This test's meter only (other tests' meters share the name).
            if (ReferenceEquals(instrument.Meter.Scope, _services.GetRequiredService<IMeterFactory>()) && instrument.Name.StartsWith("soulbox.compile.cache.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            lock (counts)
            {
                // Counters add up; the gauges (size, entries) report their current value.
                counts[instrument.Name] = instrument is ObservableGauge<long> ? value : counts.GetValueOrDefault(instrument.Name) + value;
            }
        });
        listener.Start();
        using var cache = Cache(maxBytes: 1024 * 1024);

        await StoreAsync(cache, "a", Outputs(600_000));
        await StoreAsync(cache, "b", Outputs(600_000));
        (await cache.LookupAsync("b", "go", TimeSpan.Zero, CancellationToken.None)).Dispose();

        Assert.Equal(2, counts["soulbox.compile.cache.misses"]);
        Assert.Equal(1, counts["soulbox.compile.cache.hits"]);
        Assert.Equal(1, counts["soulbox.compile.cache.evictions"]);
        listener.RecordObservableInstruments();
        Assert.Equal(1, counts["soulbox.compile.cache.entries"]);
        Assert.Equal(cache.Bytes, counts["soulbox.compile.cache.size"]);
        Assert.True(cache.Bytes > 600_000);
    }

    [Fact]
    public async Task Cache_StartsEmpty_AndRemovesItsDirectoryWhenDisposed()
    {
        Directory.CreateDirectory(_directory);
        await File.WriteAllTextAsync(Path.Combine(_directory, "left-by-an-earlier-process.entry"), "x");
        var cache = Cache();
        await StoreAsync(cache, "k", Outputs(10));

        Assert.Equal(["k.entry"], Directory.EnumerateFileSystemEntries(_directory).Select(Path.GetFileName));
        cache.Dispose();
        Assert.False(Directory.Exists(_directory));
    }

    [Fact]
    public void Options_RejectAnEntryBoundAboveTheCacheBound()
    {
        Assert.Empty(new CompileCacheOptions().Validate());
        Assert.Contains(new CompileCacheOptions { MaxEntryBytes = 512L * 1024 * 1024 }.Validate(), e => e.Contains("MaxEntryBytes", StringComparison.Ordinal));
        Assert.Contains(new CompileCacheOptions { Directory = "relative/dir" }.Validate(), e => e.Contains("Directory", StringComparison.Ordinal));
    }

    private static string Key(
        string language = "go",
        string image = "sha256:go",
        string directory = "/home/sandbox",
        string[]? argv = null,
        Dictionary<string, string>? env = null,
        string[]? outputs = null,
        List<(string, byte[])>? files = null) =>
        CompileKey.Of(language, image, directory, argv ?? Argv, env ?? Env, outputs ?? [".soulbox-main"], files ?? [("main.go", "package main"u8.ToArray())]);

    private CompileCache Cache(long maxBytes = 16 * 1024 * 1024, long maxEntryBytes = 8 * 1024 * 1024) =>
        new(new CompileCacheOptions { MaxBytes = maxBytes, MaxEntryBytes = maxEntryBytes, Directory = _directory }, _directory,
            new SoulBoxMetrics(_services.GetRequiredService<IMeterFactory>()), _time, NullLogger<CompileCache>.Instance);

    private static CompiledOutputs Outputs(int bytes)
    {
        var content = new byte[bytes];
        Random.Shared.NextBytes(content);
        return new CompiledOutputs("", "warning", [new CompiledPath(".soulbox-classes", true, false, []), new CompiledPath(".soulbox-classes/Main.class", false, false, content)]);
    }

    private static async Task StoreAsync(CompileCache cache, string key, CompiledOutputs outputs)
    {
        using var lookup = await cache.LookupAsync(key, "go", TimeSpan.Zero, CancellationToken.None);
        Assert.True(lookup.CanStore, $"'{key}' was expected to be a miss");
        await lookup.StoreAsync(outputs, CancellationToken.None);
    }

    public void Dispose()
    {
        _services.Dispose();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
