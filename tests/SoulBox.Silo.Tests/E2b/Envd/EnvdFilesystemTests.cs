using System.Net.Http.Headers;
using System.Text;

namespace SoulBox.Silo.Tests.E2b.Envd;

/// <summary>filesystem.Filesystem, /files and /health through the node's E2B router, as the SDK's files.* call them.</summary>
[Collection(SiloCollection.Name)]
public sealed class EnvdFilesystemTests(SiloFixture silo)
{
    [Fact]
    public async Task Health_IsNoContentWhileTheSandboxRuns_And502OnceItWasKilled()
    {
        await using var sandbox = await EnvdSandbox.CreateAsync(silo);
        using (var health = await sandbox.Http.GetAsync("/health"))
        {
            Assert.Equal(HttpStatusCode.NoContent, health.StatusCode);
        }

        await sandbox.KillAsync();
        using var after = await sandbox.Http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.BadGateway, after.StatusCode);
    }

    [Fact]
    public async Task MultipartUpload_WritesSeveralFilesBinarySafe_AndDownloadReturnsTheBytes()
    {
        await using var sandbox = await EnvdSandbox.CreateAsync(silo);
        var binary = Enumerable.Range(0, 256).Select(i => (byte)i).Concat(new byte[3 * 1024 * 1024 + 7]).ToArray(); // spans chunks
        new Random(3).NextBytes(binary.AsSpan(256));
        using var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(binary), "file", "/home/sandbox/data/blob.bin");
        form.Add(new StringContent("relative text"), "file", "notes/hello.txt");
        using var upload = await sandbox.Http.PostAsync("/files", form);
        var written = await upload.JsonAsync();
        Assert.Equal(
            [("/home/sandbox/data/blob.bin", "blob.bin", "file"), ("/home/sandbox/notes/hello.txt", "hello.txt", "file")],
            written.EnumerateArray().Select(w => (w.GetProperty("path").GetString(), w.GetProperty("name").GetString(), w.GetProperty("type").GetString())).ToArray());

        Assert.Equal(binary, await sandbox.Http.GetByteArrayAsync("/files?path=" + Uri.EscapeDataString("/home/sandbox/data/blob.bin")));
        Assert.Equal("relative text", await sandbox.Http.GetStringAsync("/files?path=notes/hello.txt&username=user"));
    }

    [Fact]
    public async Task OctetStreamUpload_WithPath_ReplacesTheFile()
    {
        await using var sandbox = await EnvdSandbox.CreateAsync(silo);
        foreach (var text in new[] { "first, longer content", "second" })
        {
            using var body = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
            body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            using var upload = await sandbox.Http.PostAsync("/files?path=raw.txt", body);
            Assert.Equal("/home/sandbox/raw.txt", (await upload.JsonAsync())[0].GetProperty("path").GetString());
        }

        Assert.Equal("second", await sandbox.Http.GetStringAsync("/files?path=raw.txt"));
    }

    [Fact]
    public async Task Download_OfAMissingFile_Is404WithEnvdsJsonError_AndAPathOutsideIs400()
    {
        await using var sandbox = await EnvdSandbox.CreateAsync(silo);
        using var missing = await sandbox.Http.GetAsync("/files?path=/home/sandbox/nope.txt");
        var error = await missing.JsonAsync(HttpStatusCode.NotFound);
        Assert.Equal(404, error.GetProperty("code").GetInt32());
        Assert.Contains("nope.txt", error.GetProperty("message").GetString());

        using var outside = await sandbox.Http.GetAsync("/files?path=/etc/passwd");
        Assert.Equal(400, (await outside.JsonAsync(HttpStatusCode.BadRequest)).GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task StatListMakeDirMoveRemove_AnswerEntryInfosAsEnvdDoes()
    {
        await using var sandbox = await EnvdSandbox.CreateAsync(silo);
        var made = await sandbox.CallAsync("filesystem.Filesystem/MakeDir", "{\"path\":\"/home/sandbox/tree/sub\"}");
        Assert.Equal("FILE_TYPE_DIRECTORY", made.GetProperty("entry").GetProperty("type").GetString());
        Assert.StartsWith("d", made.GetProperty("entry").GetProperty("permissions").GetString());
        var (again, exists) = await sandbox.UnaryAsync("filesystem.Filesystem/MakeDir", "{\"path\":\"/home/sandbox/tree/sub\"}");
        Assert.Equal((HttpStatusCode.Conflict, "already_exists"), (again, exists.GetProperty("code").GetString()));

        using (var body = new StringContent("12345"))
        {
            body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            (await sandbox.Http.PostAsync("/files?path=tree/sub/five.txt", body)).Dispose();
        }

        var stat = (await sandbox.CallAsync("filesystem.Filesystem/Stat", "{\"path\":\"tree/sub/five.txt\"}")).GetProperty("entry");
        Assert.Equal("five.txt", stat.GetProperty("name").GetString());
        Assert.Equal("/home/sandbox/tree/sub/five.txt", stat.GetProperty("path").GetString());
        Assert.Equal("FILE_TYPE_FILE", stat.GetProperty("type").GetString());
        Assert.Equal("5", stat.GetProperty("size").GetString());
        Assert.Equal("sandbox", stat.GetProperty("owner").GetString());
        Assert.Matches("^-[rwx-]{9}$", stat.GetProperty("permissions").GetString());
        Assert.True(stat.GetProperty("modifiedTime").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));

        var shallow = await sandbox.CallAsync("filesystem.Filesystem/ListDir", "{\"path\":\"/home/sandbox/tree\",\"depth\":1}");
        Assert.Equal(["sub"], shallow.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToArray());
        var deep = await sandbox.CallAsync("filesystem.Filesystem/ListDir", "{\"path\":\"/home/sandbox/tree\",\"depth\":2}");
        Assert.Equal(["/home/sandbox/tree/sub", "/home/sandbox/tree/sub/five.txt"],
            deep.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("path").GetString()!).ToArray());

        var moved = await sandbox.CallAsync("filesystem.Filesystem/Move",
            "{\"source\":\"/home/sandbox/tree/sub/five.txt\",\"destination\":\"/home/sandbox/elsewhere/5.txt\"}");
        Assert.Equal("/home/sandbox/elsewhere/5.txt", moved.GetProperty("entry").GetProperty("path").GetString());
        Assert.Equal("12345", await sandbox.Http.GetStringAsync("/files?path=elsewhere/5.txt"));
        var (gone, notFound) = await sandbox.UnaryAsync("filesystem.Filesystem/Stat", "{\"path\":\"/home/sandbox/tree/sub/five.txt\"}");
        Assert.Equal((HttpStatusCode.NotFound, "not_found"), (gone, notFound.GetProperty("code").GetString()));

        await sandbox.CallAsync("filesystem.Filesystem/Remove", "{\"path\":\"/home/sandbox/tree\"}");
        await sandbox.CallAsync("filesystem.Filesystem/Remove", "{\"path\":\"/home/sandbox/tree\"}"); // like os.RemoveAll: gone is fine
        var (_, removed) = await sandbox.UnaryAsync("filesystem.Filesystem/Stat", "{\"path\":\"/home/sandbox/tree\"}");
        Assert.Equal("not_found", removed.GetProperty("code").GetString());

        var (escape, escaped) = await sandbox.UnaryAsync("filesystem.Filesystem/ListDir", "{\"path\":\"/etc\"}");
        Assert.Equal((HttpStatusCode.BadRequest, "invalid_argument"), (escape, escaped.GetProperty("code").GetString()));
    }

    [Fact]
    public async Task WatchDir_StartsThenReportsACreatedFile()
    {
        await using var sandbox = await EnvdSandbox.CreateAsync(silo);
        await sandbox.CallAsync("filesystem.Filesystem/MakeDir", "{\"path\":\"watched\"}");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var frames = sandbox.StreamAsync("filesystem.Filesystem/WatchDir", "{\"path\":\"watched\",\"include_entry\":true}",
            cancellationToken: timeout.Token).GetAsyncEnumerator(timeout.Token);
        Assert.True(await frames.MoveNextAsync());
        Assert.True(frames.Current.Message.TryGetProperty("start", out _), frames.Current.Message.GetRawText());

        using (var body = new StringContent("x"))
        {
            body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            (await sandbox.Http.PostAsync("/files?path=watched/new.txt", body)).Dispose();
        }

        Assert.True(await frames.MoveNextAsync());
        var e = frames.Current.Message.GetProperty("filesystem");
        Assert.Equal(("new.txt", "EVENT_TYPE_CREATE"), (e.GetProperty("name").GetString(), e.GetProperty("type").GetString()));
        Assert.Equal("/home/sandbox/watched/new.txt", e.GetProperty("entry").GetProperty("path").GetString());
        await timeout.CancelAsync();
        await frames.DisposeAsync();
    }
}
