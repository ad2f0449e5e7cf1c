using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SoulBox.Grains.Execution;

namespace SoulBox.Grains.Tests;

/// <summary>The staging area of batch input files (a real temporary directory, a fake clock): bounds per file, set,
/// tenant and node; a set is its tenant's alone; taken once; removed by its batch, by a discard, or by expiry.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class BatchInputStoreTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "soulbox-test-inputs-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly FakeTimeProvider _time = new();
    private readonly BatchInputOptions _options = new() { MaxFileBytes = 10, MaxSetBytes = 16, MaxBytesPerTenant = 20, MaxBytes = 24, MaxFilesPerSet = 3, MaxSetsPerTenant = 2, IdleSeconds = 60 };
    private BatchInputStore? _store;

    private BatchInputStore Store => _store ??= new BatchInputStore(_options, _directory, _time, NullLogger<BatchInputStore>.Instance);

    [Fact]
    public async Task ChunksAppendToTheirFile_AndTheTakenSetNamesEveryFile()
    {
        var id = Store.Open("a");
        await Store.AppendAsync(id, "a", "in", "12"u8.ToArray(), default);
        await Store.AppendAsync(id, "a", "in", "34"u8.ToArray(), default);
        await Store.AppendAsync(id, "a", "empty", Array.Empty<byte>(), default);

        using var set = Store.Take(id, "a");

        Assert.Equal(["empty", "in"], set.Files.Keys.Order());
        Assert.Equal("1234", await File.ReadAllTextAsync(set.Files["in"].Path));
        Assert.Equal(4, set.Files["in"].Length);
        Assert.Equal(0, new FileInfo(set.Files["empty"].Path).Length);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_directory));
    }

    [Fact]
    public async Task DisposingTheTakenSet_RemovesItsFiles_AndFreesItsBytes()
    {
        var id = Store.Open("a");
        await Store.AppendAsync(id, "a", "in", "1234"u8.ToArray(), default);
        var set = Store.Take(id, "a");
        var path = set.Files["in"].Path;

        set.Dispose();

        Assert.False(File.Exists(path));
        Assert.Equal(0, Store.Bytes);
        Assert.Empty(Directory.EnumerateDirectories(_directory));
    }

    [Fact]
    public async Task AnotherTenantsSet_IsAnsweredAsMissing()
    {
        var id = Store.Open("a");

        Assert.Equal("inputSet", (await Assert.ThrowsAsync<SandboxValidationException>(() => Store.AppendAsync(id, "b", "in", "1"u8.ToArray(), default))).Field);
        Assert.Equal("inputSet", Assert.Throws<SandboxValidationException>(() => Store.Take(id, "b")).Field);
        Store.Discard(id, "b");
        using var set = Store.Take(id, "a");
    }

    [Fact]
    public async Task ASetIsTakenOnce_AndTakesNoMoreChunks()
    {
        var id = Store.Open("a");
        using var set = Store.Take(id, "a");

        Assert.Throws<SandboxValidationException>(() => Store.Take(id, "a"));
        await Assert.ThrowsAsync<SandboxValidationException>(() => Store.AppendAsync(id, "a", "late", "1"u8.ToArray(), default));
    }

    [Fact]
    public async Task FileSetTenantAndNodeBounds_AreTooLargeOrRetryLater()
    {
        var first = Store.Open("a");
        await Store.AppendAsync(first, "a", "f", new byte[10], default);
        var file = await Assert.ThrowsAsync<RequestTooLargeException>(() => Store.AppendAsync(first, "a", "f", new byte[1], default));
        Assert.Equal(10, file.LimitBytes);

        await Store.AppendAsync(first, "a", "g", new byte[6], default);
        var set = await Assert.ThrowsAsync<RequestTooLargeException>(() => Store.AppendAsync(first, "a", "h", new byte[1], default));
        Assert.Equal(16, set.LimitBytes);

        // The tenant's own bound (20) before the node's (24): a second set of "a" gets 4 bytes.
        var again = Store.Open("a");
        await Store.AppendAsync(again, "a", "f", new byte[4], default);
        await Assert.ThrowsAsync<TooManyRequestsException>(() => Store.AppendAsync(again, "a", "g", new byte[1], default));

        var other = Store.Open("b");
        await Store.AppendAsync(other, "b", "f", new byte[4], default);
        await Assert.ThrowsAsync<NodeBusyException>(() => Store.AppendAsync(other, "b", "g", new byte[1], default));
        Assert.Equal(24, Store.Bytes);
    }

    [Fact]
    public void ATenant_HasAtMostItsNumberOfOpenSets()
    {
        Store.Open("a");
        Store.Open("a");

        Assert.Throws<TooManyRequestsException>(() => Store.Open("a"));
        Store.Open("b");
    }

    [Fact]
    public async Task ASetNobodyTakes_ExpiresAfterItsIdleTime_ButATakenOneDoesNot()
    {
        var idle = Store.Open("a");
        await Store.AppendAsync(idle, "a", "in", "1"u8.ToArray(), default);
        var running = Store.Open("a");
        using var taken = Store.Take(running, "a");

        _time.Advance(TimeSpan.FromSeconds(59));
        await Store.AppendAsync(idle, "a", "in", "2"u8.ToArray(), default);
        _time.Advance(TimeSpan.FromSeconds(59));
        await Store.AppendAsync(idle, "a", "in", "3"u8.ToArray(), default); // each chunk restarts the idle time
        _time.Advance(TimeSpan.FromSeconds(61));

        Assert.Throws<SandboxValidationException>(() => Store.Take(idle, "a"));
        Assert.Equal(0, Store.Bytes);
        Assert.Equal([running], Directory.EnumerateDirectories(_directory).Select(Path.GetFileName));
    }

    [Fact]
    public async Task ASet_HasAtMostItsNumberOfFiles()
    {
        var id = Store.Open("a");
        foreach (var name in new[] { "1", "2", "3" })
        {
            await Store.AppendAsync(id, "a", name, "1"u8.ToArray(), default);
        }

        await Store.AppendAsync(id, "a", "3", "2"u8.ToArray(), default);
        Assert.Equal("files", (await Assert.ThrowsAsync<SandboxValidationException>(() => Store.AppendAsync(id, "a", "4", "1"u8.ToArray(), default))).Field);
    }

    [Fact]
    public async Task BadFileNames_AreRefused()
    {
        var id = Store.Open("a");

        foreach (var name in new[] { "", new string('x', 256), "a\nb" })
        {
            Assert.Equal("files", (await Assert.ThrowsAsync<SandboxValidationException>(() => Store.AppendAsync(id, "a", name, "1"u8.ToArray(), default))).Field);
        }
    }

    [Fact]
    public void Options_AreValidated()
    {
        Assert.Empty(new BatchInputOptions().Validate());
        Assert.Equal(6, new BatchInputOptions { MaxFileBytes = 0, MaxSetBytes = -1, MaxBytes = -2, MaxBytesPerTenant = -1, MaxFilesPerSet = 0, MaxSetsPerTenant = 0 }.Validate().Count());
        Assert.Single(new BatchInputOptions { Directory = "relative" }.Validate());
    }

    public void Dispose()
    {
        _store?.Dispose();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
