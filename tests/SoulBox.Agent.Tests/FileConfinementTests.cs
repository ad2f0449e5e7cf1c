using System.Text;
using SoulBox.Agent.Protocol;

namespace SoulBox.Agent.Tests;

/// <summary>What the files API refuses and whose identity it acts with: FIFOs answer at once, symlinks
/// out of the roots are refused for every operation, what it creates belongs to the sandbox user, and the
/// user's own permission bits bind it.</summary>
public sealed class FileConfinementTests(AgentFixture agent) : IClassFixture<AgentFixture>
{
    /// <summary>Before the change a FIFO open blocked an agent thread forever; now it is refused at once.</summary>
    private const int PromptSeconds = 5;

    [Fact]
    public async Task AFifo_IsRefusedAtOnce_ForReadAndWrite()
    {
        await using var client = await agent.ConnectAsync();
        Assert.Equal(0, (await client.RequestAsync(Events.Argv("mkfifo", "pipe"))).Terminal<ExitEvent>().ExitCode);

        var read = await client.CallAsync<ErrorEvent>(new ReadFileRequest("pipe"), timeoutSeconds: PromptSeconds);
        Assert.Equal(AgentErrorCodes.BadRequest, read.Code);
        Assert.Contains("FIFO", read.Message);
        var write = await client.CallAsync<ErrorEvent>(new WriteFileRequest("pipe", false), [1, 2, 3], timeoutSeconds: PromptSeconds);
        Assert.Equal(AgentErrorCodes.BadRequest, write.Code);
        var append = await client.CallAsync<ErrorEvent>(new WriteFileRequest("pipe", true), [1], timeoutSeconds: PromptSeconds);
        Assert.Equal(AgentErrorCodes.BadRequest, append.Code);

        // With a reader holding it open the write-open succeeds, and fstat refuses it.
        var (readerId, reader) = await client.SendAsync(Events.Shell("exec 3<>pipe; echo ready; sleep 30", timeoutMs: 30_000));
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            Assert.IsType<OutputEvent>((await reader.ReadAsync(timeout.Token)).Event);
        }

        var held = await client.CallAsync<ErrorEvent>(new WriteFileRequest("pipe", false), [1], timeoutSeconds: PromptSeconds);
        Assert.Equal(AgentErrorCodes.BadRequest, held.Code);
        Assert.Contains("FIFO", held.Message);
        await client.CallAsync<OkEvent>(new CancelRequest(readerId));
        await AgentClient.CollectAsync(reader, "fifo reader");

        // The FIFO itself can still be described and removed.
        Assert.False((await client.CallAsync<FileStatEvent>(new StatFileRequest("pipe"))).Entry.IsDirectory);
        await client.CallAsync<OkEvent>(new RemoveFileRequest("pipe", false));
    }

    [Fact]
    public async Task ASymlinkToOutside_IsRefusedForEveryOperation_AndNothingOutsideChanges()
    {
        await using var client = await agent.ConnectAsync();
        var outside = CreateOutsideDirectory();
        var before = await SnapshotAsync(outside);
        Directory.CreateSymbolicLink(Path.Combine(agent.WorkDir, "abs-out"), outside);
        Directory.CreateSymbolicLink(Path.Combine(agent.WorkDir, "rel-out"), Path.GetRelativePath(agent.WorkDir, outside));

        await File.WriteAllTextAsync(Path.Combine(agent.WorkDir, "movable.txt"), "m");
        foreach (var link in new[] { "abs-out", "rel-out" })
        {
            var errors = new[]
            {
                await client.CallAsync<ErrorEvent>(new ReadFileRequest($"{link}/secret.txt")),
                await client.CallAsync<ErrorEvent>(new WriteFileRequest($"{link}/new.txt", false), [1]),
                await client.CallAsync<ErrorEvent>(new WriteFileRequest($"{link}/secret.txt", true), [1]),
                await client.CallAsync<ErrorEvent>(new MakeDirectoryRequest($"{link}/newdir/deeper")),
                await client.CallAsync<ErrorEvent>(new RemoveFileRequest($"{link}/secret.txt", false)),
                await client.CallAsync<ErrorEvent>(new RemoveFileRequest($"{link}/sub", true)),
                await client.CallAsync<ErrorEvent>(new ListFilesRequest(link)),
                await client.CallAsync<ErrorEvent>(new StatFileRequest($"{link}/secret.txt")),
                await client.CallAsync<ErrorEvent>(new MoveFileRequest($"{link}/secret.txt", "stolen.txt")),
                await client.CallAsync<ErrorEvent>(new MoveFileRequest("movable.txt", $"{link}/planted.txt")),
            };
            Assert.All(errors, error =>
            {
                Assert.Equal(AgentErrorCodes.PathEscape, error.Code);
                Assert.Contains(link, error.Message);
                Assert.DoesNotContain(outside, error.Message); // the caller's path, never where it led
            });
        }

        // Removing a link removes the link.
        await client.CallAsync<OkEvent>(new RemoveFileRequest("abs-out", true));
        await client.CallAsync<OkEvent>(new RemoveFileRequest("rel-out", false));
        Assert.Equal(before, await SnapshotAsync(outside));
    }

    [Fact]
    public async Task Symlinks_AreFollowedBeneathTheirRoot_AbsoluteOnesAreRefused_AndStatDescribesTheLink()
    {
        await using var client = await agent.ConnectAsync();
        await client.CallAsync<FileStatEvent>(new WriteFileRequest("real/data.txt", false), Encoding.UTF8.GetBytes("inside"));
        Directory.CreateSymbolicLink(Path.Combine(agent.WorkDir, "real", "self"), ".");
        File.CreateSymbolicLink(Path.Combine(agent.WorkDir, "alias.txt"), "real/self/data.txt");
        Directory.CreateSymbolicLink(Path.Combine(agent.WorkDir, "absolute-inside"), Path.Combine(agent.WorkDir, "real"));
        File.CreateSymbolicLink(Path.Combine(agent.WorkDir, "loop"), "loop");

        var read = await client.RequestAsync(new ReadFileRequest("alias.txt"));
        Assert.Equal("inside", Encoding.UTF8.GetString(read[0].Payload));
        await client.CallAsync<FileStatEvent>(new WriteFileRequest("real/self/via-link.txt", false), [7]);
        Assert.True(File.Exists(Path.Combine(agent.WorkDir, "real", "via-link.txt")));

        // An absolute symlink is refused even when it points inside: resolution never restarts at "/".
        Assert.Equal(AgentErrorCodes.PathEscape, (await client.CallAsync<ErrorEvent>(new ReadFileRequest("absolute-inside/data.txt"))).Code);
        Assert.Equal(AgentErrorCodes.BadRequest, (await client.CallAsync<ErrorEvent>(new ReadFileRequest("loop"))).Code);

        var link = (await client.CallAsync<FileStatEvent>(new StatFileRequest("real/self"))).Entry;
        Assert.True(link.IsSymlink);
        Assert.False(link.IsDirectory); // the link, not the directory it points to
        Assert.Equal(Path.Combine(agent.WorkDir, "real", "self"), link.Path);
        var listed = (await client.CallAsync<FileListEvent>(new ListFilesRequest("real"))).Entries;
        Assert.Equal(["data.txt", "self", "via-link.txt"], listed.Select(e => e.Name));
        Assert.True(listed[1].IsSymlink);
        Assert.False(listed[1].IsDirectory);
    }

    [Fact]
    public async Task WhatTheAgentCreates_BelongsToTheSandboxUser()
    {
        await using var client = await agent.ConnectAsync();
        await client.CallAsync<OkEvent>(new MakeDirectoryRequest("owned/a/b"));
        await client.CallAsync<FileStatEvent>(new WriteFileRequest("owned/a/b/c/file.txt", false), [1]);
        await client.CallAsync<FileStatEvent>(new WriteFileRequest(Path.Combine(agent.TmpDir, "owned-tmp/file.txt"), false), [1]);

        var owners = await AgentFixture.RunAsync("stat", "-c", "%u:%g",
            Path.Combine(agent.WorkDir, "owned"), Path.Combine(agent.WorkDir, "owned/a/b"), Path.Combine(agent.WorkDir, "owned/a/b/c"),
            Path.Combine(agent.WorkDir, "owned/a/b/c/file.txt"), Path.Combine(agent.TmpDir, "owned-tmp"), Path.Combine(agent.TmpDir, "owned-tmp/file.txt"));
        Assert.All(owners.Split('\n', StringSplitOptions.RemoveEmptyEntries), owner => Assert.Equal($"{agent.Uid}:{agent.Uid}", owner));
    }

    [Fact]
    public async Task TheUsersPermissionBits_BindTheAgent()
    {
        await using var client = await agent.ConnectAsync();
        await client.CallAsync<FileStatEvent>(new WriteFileRequest("locked/inner.txt", false), Encoding.UTF8.GetBytes("keep"));
        await client.CallAsync<FileStatEvent>(new WriteFileRequest("unreadable.txt", false), Encoding.UTF8.GetBytes("keep"));
        var chmod = await client.RequestAsync(Events.Shell("chmod 0 locked unreadable.txt"));
        Assert.Equal(0, chmod.Terminal<ExitEvent>().ExitCode);
        try
        {
            var errors = new[]
            {
                await client.CallAsync<ErrorEvent>(new ReadFileRequest("locked/inner.txt")),
                await client.CallAsync<ErrorEvent>(new WriteFileRequest("locked/inner.txt", false), [1]),
                await client.CallAsync<ErrorEvent>(new WriteFileRequest("locked/new.txt", false), [1]),
                await client.CallAsync<ErrorEvent>(new MakeDirectoryRequest("locked/sub")),
                await client.CallAsync<ErrorEvent>(new RemoveFileRequest("locked/inner.txt", false)),
                await client.CallAsync<ErrorEvent>(new ListFilesRequest("locked")),
                await client.CallAsync<ErrorEvent>(new ReadFileRequest("unreadable.txt")),
                await client.CallAsync<ErrorEvent>(new WriteFileRequest("unreadable.txt", true), [1]),
            };
            Assert.All(errors, error => Assert.Equal(AgentErrorCodes.PermissionDenied, error.Code));
            Assert.Equal("keep", await File.ReadAllTextAsync(Path.Combine(agent.WorkDir, "locked/inner.txt")));
            Assert.Equal("keep", await File.ReadAllTextAsync(Path.Combine(agent.WorkDir, "unreadable.txt")));
            Assert.False(Directory.Exists(Path.Combine(agent.WorkDir, "locked/sub")));
        }
        finally
        {
            await client.RequestAsync(Events.Shell("chmod 755 locked"));
        }
    }

    [Fact]
    public async Task TheRoots_DescribeThemselves_AndCannotBeRemoved()
    {
        await using var client = await agent.ConnectAsync();
        var work = (await client.CallAsync<FileStatEvent>(new StatFileRequest("."))).Entry;
        Assert.Equal(agent.WorkDir, work.Path);
        Assert.True(work.IsDirectory);
        foreach (var root in new[] { "", ".", "a/..", agent.WorkDir, agent.TmpDir + "/" })
        {
            var error = await client.CallAsync<ErrorEvent>(new RemoveFileRequest(root, true));
            Assert.Equal(AgentErrorCodes.BadRequest, error.Code);
        }

        Assert.True(Directory.Exists(agent.WorkDir) && Directory.Exists(agent.TmpDir));
    }

    private string CreateOutsideDirectory()
    {
        var outside = Path.Combine(agent.Root, $"outside-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.Combine(outside, "sub"));
        File.WriteAllText(Path.Combine(outside, "secret.txt"), "root's");
        File.WriteAllText(Path.Combine(outside, "sub", "deep.txt"), "root's");
        return outside;
    }

    /// <summary>Every entry below (and including) a directory with its owner, mode, size and type.</summary>
    internal static async Task<string> SnapshotAsync(string directory) => string.Join('\n',
        (await AgentFixture.RunAsync("find", directory, "-printf", "%p %U:%G %m %s %y\n"))
        .Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Order(StringComparer.Ordinal));
}
