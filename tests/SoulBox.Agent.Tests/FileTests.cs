using System.Text;
using SoulBox.Agent.Protocol;

namespace SoulBox.Agent.Tests;

public sealed class FileTests(AgentFixture agent) : IClassFixture<AgentFixture>
{
    [Fact]
    public async Task WriteThenRead_RoundTripsEveryByteValue_AndCreatesParentsOwnedByTheSandboxUser()
    {
        await using var client = await agent.ConnectAsync();
        var content = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var stat = await client.CallAsync<FileStatEvent>(new WriteFileRequest("deep/dir/bytes.bin", false), content);
        Assert.Equal(256, stat.Entry.Size);
        Assert.Equal("bytes.bin", stat.Entry.Name);
        Assert.Equal(Path.Combine(agent.WorkDir, "deep/dir/bytes.bin"), stat.Entry.Path);

        var events = await client.RequestAsync(new ReadFileRequest("deep/dir/bytes.bin"));
        Assert.IsType<OkEvent>(events[^1].Event);
        Assert.Equal(content, events.Where(e => e.Event is FileDataEvent).SelectMany(e => e.Payload).ToArray());

        var owner = await AgentFixture.RunAsync("stat", "-c", "%u %g", Path.Combine(agent.WorkDir, "deep"), Path.Combine(agent.WorkDir, "deep/dir/bytes.bin"));
        Assert.Equal($"{agent.Uid} {agent.Uid}\n{agent.Uid} {agent.Uid}\n", owner);
    }

    [Fact]
    public async Task Write_TruncatesByDefault_AndAppendsChunks()
    {
        await using var client = await agent.ConnectAsync();
        await client.CallAsync<FileStatEvent>(new WriteFileRequest("chunks.txt", false), Encoding.UTF8.GetBytes("old content"));
        await client.CallAsync<FileStatEvent>(new WriteFileRequest("chunks.txt", false), Encoding.UTF8.GetBytes("a"));
        var stat = await client.CallAsync<FileStatEvent>(new WriteFileRequest("chunks.txt", true), Encoding.UTF8.GetBytes("b"));
        Assert.Equal(2, stat.Entry.Size);
        Assert.Equal("ab", await File.ReadAllTextAsync(Path.Combine(agent.WorkDir, "chunks.txt")));
    }

    [Fact]
    public async Task Write_Executable_GivesMode0755_AlsoToAFileThatWasThere()
    {
        await using var client = await agent.ConnectAsync();
        var plain = await client.CallAsync<FileStatEvent>(new WriteFileRequest("prog", false), Encoding.UTF8.GetBytes("#!/bin/sh\n"));
        var made = await client.CallAsync<FileStatEvent>(new WriteFileRequest("prog", false) { Executable = true }, Encoding.UTF8.GetBytes("#!/bin/sh\necho ran\n"));
        var fresh = await client.CallAsync<FileStatEvent>(new WriteFileRequest("bin/new", false) { Executable = true }, [1]);

        Assert.Equal(0, plain.Entry.Mode & 0x49); // no execute bit without the flag
        Assert.Equal(0x1ED, made.Entry.Mode);
        Assert.Equal(0x1ED, fresh.Entry.Mode);
    }

    [Fact]
    public async Task Read_OfABigFile_StreamsChunksNoLargerThanTheLimit()
    {
        await using var client = await agent.ConnectAsync();
        var content = new byte[AgentProtocol.MaxPayloadChunkBytes * 2 + 5];
        new Random(7).NextBytes(content);
        await client.CallAsync<FileStatEvent>(new WriteFileRequest("big.bin", false), content);
        var events = await client.RequestAsync(new ReadFileRequest("big.bin"));
        var chunks = events.Where(e => e.Event is FileDataEvent).ToList();
        Assert.Equal(3, chunks.Count);
        Assert.All(chunks, c => Assert.True(c.Payload.Length <= AgentProtocol.MaxPayloadChunkBytes));
        Assert.Equal(content, chunks.SelectMany(c => c.Payload).ToArray());
    }

    [Fact]
    public async Task Read_OfAnEmptyFile_IsJustOk()
    {
        await using var client = await agent.ConnectAsync();
        await client.CallAsync<FileStatEvent>(new WriteFileRequest("empty.txt", false));
        var events = await client.RequestAsync(new ReadFileRequest("empty.txt"));
        Assert.IsType<OkEvent>(Assert.Single(events).Event);
    }

    [Fact]
    public async Task ListStatMkdirRemove_BehaveLikeAFileSystem()
    {
        await using var client = await agent.ConnectAsync();
        await client.CallAsync<OkEvent>(new MakeDirectoryRequest("tree/a/b"));
        await client.CallAsync<OkEvent>(new MakeDirectoryRequest("tree/a/b")); // like mkdir -p
        await client.CallAsync<FileStatEvent>(new WriteFileRequest("tree/file.txt", false), Encoding.UTF8.GetBytes("x"));

        var list = await client.CallAsync<FileListEvent>(new ListFilesRequest("tree"));
        Assert.Equal(["a", "file.txt"], list.Entries.Select(e => e.Name));
        Assert.True(list.Entries[0].IsDirectory);
        Assert.False(list.Entries[1].IsDirectory);
        Assert.Equal(1, list.Entries[1].Size);

        var stat = await client.CallAsync<FileStatEvent>(new StatFileRequest(Path.Combine(agent.WorkDir, "tree/a")));
        Assert.True(stat.Entry.IsDirectory);
        Assert.True(stat.Entry.ModifiedUnixMs > 0);

        var notEmpty = await client.CallAsync<ErrorEvent>(new RemoveFileRequest("tree/a", false));
        Assert.Equal(AgentErrorCodes.DirectoryNotEmpty, notEmpty.Code);
        await client.CallAsync<OkEvent>(new RemoveFileRequest("tree/a", true));
        await client.CallAsync<OkEvent>(new RemoveFileRequest("tree/file.txt", false));
        Assert.Empty((await client.CallAsync<FileListEvent>(new ListFilesRequest("tree"))).Entries);
        await client.CallAsync<FileStatEvent>(new WriteFileRequest("tree/plain", false), [1]);
        Assert.Equal(AgentErrorCodes.NotDirectory, (await client.CallAsync<ErrorEvent>(new ListFilesRequest("tree/plain"))).Code);
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("/home/../etc/shadow")]
    public async Task PathsOutsideTheSandbox_AreRejectedAsPathEscape(string path)
    {
        await using var client = await agent.ConnectAsync();
        var read = await client.CallAsync<ErrorEvent>(new ReadFileRequest(path));
        Assert.Equal(AgentErrorCodes.PathEscape, read.Code);
        Assert.Contains(path, read.Message);
        var write = await client.CallAsync<ErrorEvent>(new WriteFileRequest(path, false), [1]);
        Assert.Equal(AgentErrorCodes.PathEscape, write.Code);
    }

    [Fact]
    public async Task SymlinksPointingOut_AreRejectedAsPathEscape_EvenWhenDangling()
    {
        await using var client = await agent.ConnectAsync();
        File.CreateSymbolicLink(Path.Combine(agent.WorkDir, "evil-link"), "/etc/passwd");
        Directory.CreateSymbolicLink(Path.Combine(agent.WorkDir, "evil-dir"), "/etc");
        File.CreateSymbolicLink(Path.Combine(agent.WorkDir, "dangling"), "/etc/soulbox-should-not-exist");
        Assert.Equal(AgentErrorCodes.PathEscape, (await client.CallAsync<ErrorEvent>(new ReadFileRequest("evil-link"))).Code);
        Assert.Equal(AgentErrorCodes.PathEscape, (await client.CallAsync<ErrorEvent>(new ReadFileRequest("evil-dir/hostname"))).Code);
        Assert.Equal(AgentErrorCodes.PathEscape, (await client.CallAsync<ErrorEvent>(new ListFilesRequest("evil-dir"))).Code);
        Assert.Equal(AgentErrorCodes.PathEscape, (await client.CallAsync<ErrorEvent>(new WriteFileRequest("dangling", false), [1])).Code);
        Assert.False(File.Exists("/etc/soulbox-should-not-exist"));

        // The link itself lives in the sandbox: stat and remove act on it, not on its target.
        Assert.True((await client.CallAsync<FileStatEvent>(new StatFileRequest("evil-link"))).Entry.IsSymlink);
        await client.CallAsync<OkEvent>(new RemoveFileRequest("evil-link", false));
        Assert.True(File.Exists("/etc/passwd"));
    }

    [Fact]
    public async Task MissingPaths_AreNotFound_AndDirectoriesCannotBeRead()
    {
        await using var client = await agent.ConnectAsync();
        Assert.Equal(AgentErrorCodes.NotFound, (await client.CallAsync<ErrorEvent>(new ReadFileRequest("nope.txt"))).Code);
        Assert.Equal(AgentErrorCodes.NotFound, (await client.CallAsync<ErrorEvent>(new StatFileRequest("nope.txt"))).Code);
        Assert.Equal(AgentErrorCodes.NotFound, (await client.CallAsync<ErrorEvent>(new ListFilesRequest("nope"))).Code);
        Assert.Equal(AgentErrorCodes.NotFound, (await client.CallAsync<ErrorEvent>(new RemoveFileRequest("nope", false))).Code);
        await client.CallAsync<OkEvent>(new MakeDirectoryRequest("a-dir"));
        Assert.Equal(AgentErrorCodes.IsDirectory, (await client.CallAsync<ErrorEvent>(new ReadFileRequest("a-dir"))).Code);
        Assert.Equal(AgentErrorCodes.IsDirectory, (await client.CallAsync<ErrorEvent>(new WriteFileRequest("a-dir", false))).Code);
    }

    [Fact]
    public async Task TheTmpDirectory_IsAllowedToo()
    {
        await using var client = await agent.ConnectAsync();
        var path = Path.Combine(agent.TmpDir, "scratch.txt");
        await client.CallAsync<FileStatEvent>(new WriteFileRequest(path, false), Encoding.UTF8.GetBytes("tmp"));
        var events = await client.RequestAsync(new ReadFileRequest(path));
        Assert.Equal("tmp", Encoding.UTF8.GetString(events[0].Payload));
    }

    [Fact]
    public async Task Move_RenamesAFile_MakesTheDestinationsParents_AndReplacesAFileThere()
    {
        await using var client = await agent.ConnectAsync();
        await client.CallAsync<FileStatEvent>(new WriteFileRequest("move/src.txt", false), Encoding.UTF8.GetBytes("payload"));
        await client.CallAsync<FileStatEvent>(new WriteFileRequest("move/new/deeper/dst.txt", false), Encoding.UTF8.GetBytes("old"));

        var moved = await client.CallAsync<FileStatEvent>(new MoveFileRequest("move/src.txt", "move/new/deeper/dst.txt"));
        Assert.Equal("dst.txt", moved.Entry.Name);
        Assert.Equal(Path.Combine(agent.WorkDir, "move/new/deeper/dst.txt"), moved.Entry.Path);
        Assert.Equal(7, moved.Entry.Size);
        Assert.False(File.Exists(Path.Combine(agent.WorkDir, "move/src.txt")));
        Assert.Equal("payload", await File.ReadAllTextAsync(Path.Combine(agent.WorkDir, "move/new/deeper/dst.txt")));

        var directory = await client.CallAsync<FileStatEvent>(new MoveFileRequest("move/new", Path.Combine(agent.WorkDir, "moved-dir/inner")));
        Assert.True(directory.Entry.IsDirectory);
        Assert.True(File.Exists(Path.Combine(agent.WorkDir, "moved-dir/inner/deeper/dst.txt")));
        var owner = await AgentFixture.RunAsync("stat", "-c", "%u", Path.Combine(agent.WorkDir, "moved-dir"));
        Assert.Equal($"{agent.Uid}\n", owner);
    }

    [Fact]
    public async Task Move_OfASymlink_MovesTheLinkNotItsTarget()
    {
        await using var client = await agent.ConnectAsync();
        await client.CallAsync<FileStatEvent>(new WriteFileRequest("link-target.txt", false), [1, 2, 3]);
        File.CreateSymbolicLink(Path.Combine(agent.WorkDir, "a-link"), "link-target.txt");
        var moved = await client.CallAsync<FileStatEvent>(new MoveFileRequest("a-link", "b-link"));
        Assert.True(moved.Entry.IsSymlink);
        Assert.Equal("link-target.txt", new FileInfo(Path.Combine(agent.WorkDir, "b-link")).LinkTarget);
        Assert.True(File.Exists(Path.Combine(agent.WorkDir, "link-target.txt")));
    }

    [Fact]
    public async Task Move_Errors_NameTheProblem()
    {
        await using var client = await agent.ConnectAsync();
        Assert.Equal(AgentErrorCodes.NotFound, (await client.CallAsync<ErrorEvent>(new MoveFileRequest("no-such-source", "x"))).Code);
        Assert.Equal(AgentErrorCodes.PathEscape, (await client.CallAsync<ErrorEvent>(new MoveFileRequest("/etc/passwd", "stolen"))).Code);
        await client.CallAsync<FileStatEvent>(new WriteFileRequest("mv-file.txt", false), [1]);
        Assert.Equal(AgentErrorCodes.PathEscape, (await client.CallAsync<ErrorEvent>(new MoveFileRequest("mv-file.txt", "../../../etc/planted"))).Code);
        Assert.Equal(AgentErrorCodes.BadRequest, (await client.CallAsync<ErrorEvent>(new MoveFileRequest("mv-file.txt", agent.WorkDir))).Code);
        await client.CallAsync<OkEvent>(new MakeDirectoryRequest("mv-dir/sub"));
        Assert.Equal(AgentErrorCodes.BadRequest, (await client.CallAsync<ErrorEvent>(new MoveFileRequest("mv-dir", "mv-dir/sub/inside"))).Code);
        await client.CallAsync<FileStatEvent>(new WriteFileRequest("mv-dir/sub/f", false), [1]);
        Assert.Equal(AgentErrorCodes.IsDirectory, (await client.CallAsync<ErrorEvent>(new MoveFileRequest("mv-file.txt", "mv-dir"))).Code);
        Assert.True(File.Exists(Path.Combine(agent.WorkDir, "mv-file.txt")));
    }
}
