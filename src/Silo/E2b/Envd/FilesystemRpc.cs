using Google.Protobuf;
using Microsoft.Extensions.Options;
using SoulBox.Silo.E2b.Envd.Connect;
using SoulBox.Silo.E2b.Envd.Protos.Filesystem;

namespace SoulBox.Silo.E2b.Envd;

/// <summary>envd's <c>filesystem.Filesystem</c> on the sandbox grain's file calls (each resolved beneath the
/// sandbox's home and /tmp by the agent, as the sandbox user). WatchDir polls the directory's listing (the agent has
/// no inotify): changes show up within <see cref="EnvdOptions.WatchPollIntervalMs"/>, a file written twice within one
/// interval is one write event, and the tree followed is bounded by <see cref="EnvdOptions.MaxWatchEntries"/>.</summary>
internal sealed class FilesystemRpc(IOptions<EnvdOptions> options, SandboxUserNames users, TimeProvider time, ILogger<EnvdService> logger)
{
    private static readonly byte[] KeepaliveFrame = ConnectEnvelope.Frame(0, ConnectJson.Formatter.Format(
        new WatchDirResponse { Keepalive = new WatchDirResponse.Types.KeepAlive() }));

    private readonly EnvdOptions _options = options.Value;

    /// <summary>Serves <paramref name="method"/> (the path after <c>/filesystem.Filesystem/</c>); null when it is not one
    /// of the methods served (the watcher-object calls CreateWatcher/GetWatcherEvents/RemoveWatcher are not).</summary>
    public Task? Serve(string method, HttpContext http, E2bSandboxTarget target, CancellationToken cancellationToken) => method switch
    {
        "Stat" => UnaryAsync<StatRequest>(http, target, StatAsync, cancellationToken),
        "ListDir" => UnaryAsync<ListDirRequest>(http, target, ListDirAsync, cancellationToken),
        "MakeDir" => UnaryAsync<MakeDirRequest>(http, target, MakeDirAsync, cancellationToken),
        "Move" => UnaryAsync<MoveRequest>(http, target, MoveAsync, cancellationToken),
        "Remove" => UnaryAsync<RemoveRequest>(http, target, RemoveAsync, cancellationToken),
        "WatchDir" => WatchDirAsync(http, target, cancellationToken),
        _ => null,
    };

    private async Task<IMessage> StatAsync(StatRequest request, E2bSandboxTarget target, CancellationToken cancellationToken)
    {
        var entry = await target.Grain.StatFileAsync(request.Path, cancellationToken);
        return new StatResponse { Entry = EntryInfos.From(entry, await users.GetAsync(target, cancellationToken)) };
    }

    /// <summary>The entries below the directory to <c>depth</c> levels (0 is taken as 1, as envd does), each
    /// directory's entries followed by what lies beneath it; symlinks are listed, never followed.</summary>
    private async Task<IMessage> ListDirAsync(ListDirRequest request, E2bSandboxTarget target, CancellationToken cancellationToken)
    {
        var depth = request.Depth == 0 ? 1 : (int)Math.Min(request.Depth, 64);
        var owner = await users.GetAsync(target, cancellationToken);
        var response = new ListDirResponse();
        var tree = await WalkAsync(target, request.Path, depth, _options.MaxListEntries, cancellationToken);
        foreach (var (_, entry) in tree)
        {
            response.Entries.Add(EntryInfos.From(entry, owner));
        }

        return response;
    }

    /// <summary>Creates the directory (and its parents); already_exists when the path is there (the SDK's makeDir
    /// then answers false).</summary>
    private async Task<IMessage> MakeDirAsync(MakeDirRequest request, E2bSandboxTarget target, CancellationToken cancellationToken)
    {
        try
        {
            var existing = await target.Grain.StatFileAsync(request.Path, cancellationToken);
            throw new ConnectException(existing.IsDirectory ? ConnectCodes.AlreadyExists : ConnectCodes.InvalidArgument,
                existing.IsDirectory ? $"Directory '{request.Path}' already exists." : $"'{request.Path}' exists and is not a directory.");
        }
        catch (SandboxFileException e) when (e.Code == ErrorCodes.FileNotFound)
        {
        }

        await target.Grain.MakeDirectoryAsync(request.Path, cancellationToken);
        var made = await target.Grain.StatFileAsync(request.Path, cancellationToken);
        return new MakeDirResponse { Entry = EntryInfos.From(made, await users.GetAsync(target, cancellationToken)) };
    }

    private async Task<IMessage> MoveAsync(MoveRequest request, E2bSandboxTarget target, CancellationToken cancellationToken)
    {
        var moved = await target.Grain.MoveFileAsync(request.Source, request.Destination, cancellationToken);
        return new MoveResponse { Entry = EntryInfos.From(moved, await users.GetAsync(target, cancellationToken)) };
    }

    /// <summary>Removes a file or a whole directory; a path that is not there is no error (envd's os.RemoveAll).</summary>
    private static async Task<IMessage> RemoveAsync(RemoveRequest request, E2bSandboxTarget target, CancellationToken cancellationToken)
    {
        try
        {
            await target.Grain.RemoveFileAsync(request.Path, recursive: true, cancellationToken);
        }
        catch (SandboxFileException e) when (e.Code == ErrorCodes.FileNotFound)
        {
        }

        return new RemoveResponse();
    }

    /// <summary>First the <c>start</c> event (once the directory was listed), then a <c>filesystem</c> event per change
    /// seen between two polls: create, remove, write (size or modification time changed), chmod (mode changed). Names
    /// are relative to the watched directory. The stream ends when the client goes away, its deadline passes, or the
    /// directory disappears (not_found).</summary>
    private async Task WatchDirAsync(HttpContext http, E2bSandboxTarget target, CancellationToken cancellationToken)
    {
        var stream = new EnvdStream(http, time, KeepaliveFrame);
        await stream.RunAsync(async (token, _) =>
        {
            var request = ConnectUnary.Parse<WatchDirRequest>(
                await ConnectEnvelope.ReadSingleAsync(http.Request.BodyReader, _options.MaxMessageBytes, token));
            var depth = request.Recursive ? 64 : 1;
            var owner = await users.GetAsync(target, token);
            var before = ToSnapshot(await WalkAsync(target, request.Path, depth, _options.MaxWatchEntries, token));
            await stream.WriteAsync(new WatchDirResponse { Start = new WatchDirResponse.Types.StartEvent() }, token);
            using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(_options.WatchPollIntervalMs), time);
            while (await poll.WaitForNextTickAsync(token))
            {
                var after = ToSnapshot(await WalkAsync(target, request.Path, depth, _options.MaxWatchEntries, token));
                foreach (var change in WatchChanges.Between(before, after))
                {
                    var e = new FilesystemEvent { Name = change.Name, Type = change.Type };
                    if (request.IncludeEntry && change.Entry is not null)
                    {
                        e.Entry = EntryInfos.From(change.Entry, owner);
                    }

                    await stream.WriteAsync(new WatchDirResponse { Filesystem = e }, token);
                }

                before = after;
            }
        }, logger, cancellationToken);
    }

    private static Dictionary<string, SandboxFileInfo> ToSnapshot(List<(string Name, SandboxFileInfo Entry)> tree)
    {
        var snapshot = new Dictionary<string, SandboxFileInfo>(tree.Count, StringComparer.Ordinal);
        foreach (var (name, entry) in tree)
        {
            snapshot[name] = entry;
        }

        return snapshot;
    }

    /// <summary>The entries beneath <paramref name="path"/> to <paramref name="depth"/> levels, depth first, with their
    /// names relative to it; more than <paramref name="maxEntries"/> is resource_exhausted.</summary>
    private static async Task<List<(string Name, SandboxFileInfo Entry)>> WalkAsync(E2bSandboxTarget target, string path, int depth, int maxEntries,
        CancellationToken cancellationToken)
    {
        var found = new List<(string, SandboxFileInfo)>();
        await WalkAsync(target, path, "", depth, maxEntries, found, cancellationToken);
        return found;
    }

    private static async Task WalkAsync(E2bSandboxTarget target, string path, string prefix, int depth, int maxEntries,
        List<(string, SandboxFileInfo)> found, CancellationToken cancellationToken)
    {
        foreach (var entry in await target.Grain.ListFilesAsync(path, cancellationToken))
        {
            if (found.Count == maxEntries)
            {
                throw new ConnectException(ConnectCodes.ResourceExhausted,
                    $"'{path}' holds more than {maxEntries} entries at the depth asked; list or watch a smaller part.");
            }

            var name = prefix.Length == 0 ? entry.Name : $"{prefix}/{entry.Name}";
            found.Add((name, entry));
            if (depth > 1 && entry.IsDirectory && !entry.IsSymlink)
            {
                await WalkAsync(target, entry.Path, name, depth - 1, maxEntries, found, cancellationToken);
            }
        }
    }

    private async Task UnaryAsync<T>(HttpContext http, E2bSandboxTarget target, Func<T, E2bSandboxTarget, CancellationToken, Task<IMessage>> handle,
        CancellationToken cancellationToken) where T : IMessage<T>, new()
    {
        await EnvdUnary.RunAsync(http, time, async token =>
            await handle(await ConnectUnary.ReadAsync<T>(http, _options.MaxMessageBytes, token), target, token), logger, cancellationToken);
    }
}
