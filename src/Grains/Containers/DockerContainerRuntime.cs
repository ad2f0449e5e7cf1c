using System.Collections.Concurrent;
using System.Diagnostics;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SoulBox.Agent.Protocol;
using SoulBox.Grains.Hosting;
using SoulBox.Grains.Nodes;
using SoulBox.Grains.Telemetry;

namespace SoulBox.Grains.Containers;

/// <summary>Sandbox containers on the local Docker engine, with the isolation defaults of the design brief:
/// no network, read-only root with size-limited tmpfs, every capability dropped except the few the agent
/// needs to start user code as an unprivileged user (user code itself runs with none), no-new-privileges,
/// memory = memory+swap, CPU quota, pids limit, ulimits, configurable OCI runtime.</summary>
internal sealed partial class DockerContainerRuntime : IContainerRuntime, IDisposable
{
    public const string NodeLabel = "soulbox.node";
    public const string SandboxLabel = "soulbox.sandbox";
    public const string TemplateLabel = "soulbox.template";

    /// <summary>Prefix of the labels scripts/setup.sh records each language's version in (images that run several).</summary>
    public const string LanguageVersionLabel = "soulbox.version.";
    public const string PurposeLabel = "soulbox.purpose";

    // The agent (root inside the container) needs these to drop to the sandbox user (SETUID, SETGID; file
    // operations run under setfsuid), kill that user's processes (KILL) and, in soulbox-exec reset, take
    // over a directory the user locked with chmod 000 before emptying it (CHOWN). DAC_OVERRIDE and FOWNER are
    // not granted: nothing of ours acts on the user's files as a root that bypasses permissions. A process
    // exec'd after setuid to a non-root user keeps none of them, and no-new-privileges stops it regaining any.
    private static readonly string[] AgentCapabilities = ["CHOWN", "KILL", "SETUID", "SETGID"];

    // Processes and threads kept free for the agent (root, exempt from RLIMIT_NPROC) under the pids
    // limit: a fork bomb in user code hits RLIMIT_NPROC first, and the agent can still start threads.
    private const int AgentPidsReserve = 48;

    private readonly DockerClient _docker;
    private readonly ContainerRuntimeOptions _options;
    private readonly NodeIdentity _node;
    private readonly ContainerOwner _owner;
    private readonly SoulBoxMetrics _metrics;
    private readonly ILogger<DockerContainerRuntime> _logger;
    private readonly TemplateDefinitions _templates;
    // Per image id, not per tag: a rebuilt image under the same tag may set another environment.
    private readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, string>> _imageEnv = new();

    // Every container runs its user code as a uid of its own, unique on the host across silos (leases):
    // RLIMIT_NPROC is counted per uid across the host, and no two sandboxes may share an owner.
    private readonly SandboxUidAllocator _uids;
    private readonly ConcurrentDictionary<string, int> _uidByContainerName = new(StringComparer.Ordinal);

    public DockerContainerRuntime(IOptions<ContainerRuntimeOptions> options, NodeIdentity node, ContainerOwner owner, SoulBoxMetrics metrics, TemplateDefinitions templates, ILogger<DockerContainerRuntime> logger)
    {
        _options = options.Value;
        _templates = templates;
        _node = node;
        _owner = owner;
        _metrics = metrics;
        _logger = logger;
        _docker = new DockerClientBuilder()
            .WithEndpoint(new Uri(_options.Endpoint))
            .WithApiVersion(System.Version.Parse(_options.ApiVersion))
            .Build();
        _uids = new SandboxUidAllocator(_options.EffectiveUidLeaseDirectory, TimeProvider.System, ContainerExistsAsync);
    }

    /// <summary>The image a template's containers start from: "&lt;ImagePrefix&gt;&lt;template&gt;:latest" for SoulBox's own,
    /// the configured reference for a registered one.</summary>
    public string ImageFor(string template) => _templates.ImageFor(template);

    public async Task<ContainerHandle> StartAsync(ContainerSpec spec, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var definition = _templates.Get(spec.Template);
        var agentDirectory = _options.AgentDirectory
            ?? throw new InvalidOperationException($"{ContainerRuntimeOptions.SectionName}:AgentDirectory is not set and no artifacts/agent was found; run scripts/setup.sh.");
        var name = $"soulbox-{_node.Name}-{Guid.NewGuid().ToString("N")[..12]}".ToLowerInvariant();
        var runDirectory = RunDirectoryOf(name);
        Directory.CreateDirectory(runDirectory);
        // Only root (the silo and the agent) may enter: user code runs as the sandbox uid and must not reach the socket.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(runDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var uid = await _uids.AcquireAsync(name, cancellationToken).ConfigureAwait(false);
        _uidByContainerName[name] = uid;
        var home = definition.Home;
        var user = definition.User;
        WriteAccounts(runDirectory, uid, user, home);
        var image = definition.Image;
        string imageId;
        IReadOnlyDictionary<string, string> imageEnv;
        try
        {
            (imageId, imageEnv) = await InspectImageAsync(definition, cancellationToken).ConfigureAwait(false);
            if (definition.Custom)
            {
                // A registered image may lack what the agent needs (an older glibc): say so now, naming the template and
                // the glibc found, instead of waiting AgentStartTimeoutSeconds for an agent that never answers.
                await EnsureAgentRunsAsync(definition, imageId, cancellationToken).ConfigureAwait(false);
                // The image was built for its own user (FROM soulbox/python sets HOME=/home/sandbox): programs look in
                // $HOME, so it names the home this template was registered with.
                imageEnv = new Dictionary<string, string>(imageEnv) { ["HOME"] = home };
            }
        }
        catch
        {
            ReleaseUid(name);
            TryDeleteDirectory(runDirectory);
            throw;
        }

        var labels = new Dictionary<string, string>
        {
            [NodeLabel] = _node.Name,
            [TemplateLabel] = spec.Template,
            [PurposeLabel] = spec.Purpose,
            [ContainerLabels.Cluster] = _owner.ClusterId,
            [ContainerLabels.Silo] = _owner.Silo.ToParsableString(),
            [ContainerLabels.Engine] = await GetEngineIdAsync(cancellationToken).ConfigureAwait(false),
            // Created from the tag, labelled with the id it pointed at just before: if the tag moves in between, the
            // label is older than the image and the container is recycled as stale, never handed out as current.
            [ContainerLabels.Image] = imageId,
            [ContainerLabels.Uid] = uid.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (spec.SandboxId is not null)
        {
            labels[SandboxLabel] = spec.SandboxId;
        }

        string[] agentArgs =
        [
            $"{AgentProtocol.ContainerAgentDirectory}/soulbox-exec", "init", "--",
            $"{AgentProtocol.ContainerAgentDirectory}/soulbox-agent",
            "--socket", $"{AgentProtocol.ContainerRunDirectory}/{AgentProtocol.SocketFileName}",
            "--uid", uid.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--gid", uid.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--work-dir", home,
            "--user", user,
        ];
        if (spec.Purpose == "executor")
        {
            // One-shot executors: the agent kills runs with setuid + kill(-1), which cannot be outrun.
            agentArgs = [.. agentArgs, "--executor"];
        }

        var parameters = new CreateContainerParameters
        {
            Name = name,
            Image = image,
            User = "0:0",
            WorkingDir = home,
            Labels = labels,
            Entrypoint = agentArgs,
            Cmd = [],
            NetworkDisabled = true,
            HostConfig = new HostConfig
            {
                NetworkMode = "none",
                ReadonlyRootfs = true,
                Binds =
                [
                    $"{agentDirectory}:{AgentProtocol.ContainerAgentDirectory}:ro",
                    $"{runDirectory}:{AgentProtocol.ContainerRunDirectory}:rw",
                    $"{runDirectory}/passwd:/etc/passwd:ro",
                    $"{runDirectory}/group:/etc/group:ro",
                ],
                Tmpfs = new Dictionary<string, string>
                {
                    [home] = $"rw,exec,nosuid,nodev,size={spec.WorkDirSizeMb}m,nr_inodes={_options.MaxFilesPerTmpfs},uid={uid},gid={uid},mode=0755",
                    ["/tmp"] = $"rw,exec,nosuid,nodev,size={spec.TmpSizeMb}m,nr_inodes={_options.MaxFilesPerTmpfs},mode=1777",
                    // Our own /dev/shm (Docker then mounts none) so it gets an inode cap like the others.
                    ["/dev/shm"] = $"rw,noexec,nosuid,nodev,size=64m,nr_inodes={_options.MaxFilesPerTmpfs},mode=1777",
                },
                CapDrop = ["ALL"],
                CapAdd = [.. AgentCapabilities],
                SecurityOpt = ["no-new-privileges"],
                Memory = spec.MemoryBytes,
                MemorySwap = spec.MemoryBytes,
                NanoCPUs = (long)(spec.Cpu * 1_000_000_000),
                PidsLimit = spec.PidsLimit,
                Ulimits =
                [
                    new Ulimit { Name = "nofile", Soft = 1024, Hard = 1024 },
                    new Ulimit { Name = "core", Soft = 0, Hard = 0 },
                    new Ulimit { Name = "nproc", Soft = Math.Max(16, spec.PidsLimit - AgentPidsReserve), Hard = Math.Max(16, spec.PidsLimit - AgentPidsReserve) },
                ],
                Runtime = _options.OciRuntime,
                // Null leaves the engine's default parent; the property is only sent when set.
                CgroupParent = _options.EffectiveCgroupParent!,
                LogConfig = new LogConfig { Type = "json-file", Config = new Dictionary<string, string> { ["max-size"] = "1m", ["max-file"] = "1" } },
            },
        };

        try
        {
            var created = await _docker.Containers.CreateContainerAsync(parameters, cancellationToken).ConfigureAwait(false);
            await _docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellationToken).ConfigureAwait(false);
            await TrackCgroupAsync(created.ID, cancellationToken).ConfigureAwait(false);
            _metrics.ContainerStarted(spec.Template, Stopwatch.GetElapsedTime(started));
            LogStarted(created.ID[..12], spec.Template, spec.SandboxId, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return new ContainerHandle(created.ID, name, spec.Template, Path.Combine(runDirectory, AgentProtocol.SocketFileName), runDirectory, imageEnv) { ImageId = imageId };
        }
        catch (DockerImageNotFoundException)
        {
            ReleaseUid(name);
            TryDeleteDirectory(runDirectory);
            throw new SandboxValidationException("template", $"Template '{spec.Template}' has no image '{image}' on node '{_node.Name}'; {BuildHint(definition)}");
        }
        catch
        {
            await RemoveByNameAsync(name).ConfigureAwait(false);
            ReleaseUid(name);
            TryDeleteDirectory(runDirectory);
            throw;
        }
    }

    private void ReleaseUid(string containerName)
    {
        if (_uidByContainerName.TryRemove(containerName, out var uid))
        {
            _uids.Release(uid);
        }
    }

    /// <summary>Whether a container of this name exists (in any state): its uid lease is not stale.</summary>
    private async Task<bool> ContainerExistsAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            await _docker.Containers.InspectContainerAsync(name, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (DockerContainerNotFoundException)
        {
            return false;
        }
    }

    /// <summary>The container's /etc/passwd and /etc/group: the image's are replaced so the per-container uid
    /// is the template's user ("sandbox", or "user" in the E2B-style templates) with the template's home (tools
    /// such as whoami, bash -l and Node's os.userInfo() need an entry).</summary>
    private static void WriteAccounts(string runDirectory, int uid, string user, string home)
    {
        File.WriteAllText(Path.Combine(runDirectory, "passwd"),
            $"root:x:0:0:root:/root:/bin/sh\n{user}:x:{uid}:{uid}:SoulBox sandbox:{home}:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
        File.WriteAllText(Path.Combine(runDirectory, "group"), $"root:x:0:\n{user}:x:{uid}:\nnogroup:x:65534:\n");
        if (!OperatingSystem.IsWindows())
        {
            var readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
            File.SetUnixFileMode(Path.Combine(runDirectory, "passwd"), readable);
            File.SetUnixFileMode(Path.Combine(runDirectory, "group"), readable);
        }
    }

    public async Task RemoveAsync(ContainerHandle container, CancellationToken cancellationToken)
    {
        try
        {
            await _docker.Containers.RemoveContainerAsync(container.Id, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerContainerNotFoundException)
        {
        }
        catch (DockerApiException e) when (e.Message.Contains("already in progress", StringComparison.Ordinal))
        {
        }

        ContainerCgroup.Forget(container.Id);
        // Leases of containers removed by an earlier process (orphans) are not in the map; they are
        // reclaimed as stale once their container is gone.
        ReleaseUid(container.Name);
        TryDeleteDirectory(container.RunDirectory);
    }

    public Task SetMemoryLimitAsync(ContainerHandle container, long bytes, CancellationToken cancellationToken) =>
        _docker.Containers.UpdateContainerAsync(container.Id, new ContainerUpdateParameters { Memory = bytes, MemorySwap = bytes }, cancellationToken);

    public long ReadOomKillCount(ContainerHandle container) => ContainerCgroup.ReadOomKills(container.Id);

    public async Task<IReadOnlyList<TemplateInfo>> ListTemplatesAsync(CancellationToken cancellationToken)
    {
        var images = await ListTemplateImagesAsync(cancellationToken).ConfigureAwait(false);
        var builtIn = images
            .Select(i => (Image: i, Definition: _templates.Get(i.Labels[TemplateLabel])))
            .Select(i => new TemplateInfo
            {
                Name = i.Definition.Name,
                Language = i.Image.Labels.TryGetValue("soulbox.language", out var language) ? language : i.Definition.DefaultLanguage,
                Version = i.Image.Labels.TryGetValue("soulbox.version", out var version) ? version : "",
                Image = i.Definition.Image,
                Languages = [.. i.Definition.Languages],
                User = i.Definition.User,
                Home = i.Definition.Home,
                LanguageVersions = i.Image.Labels.Where(l => l.Key.StartsWith(LanguageVersionLabel, StringComparison.Ordinal))
                    .ToDictionary(l => l.Key[LanguageVersionLabel.Length..], l => l.Value),
            });
        var custom = await ListCustomTemplatesAsync(cancellationToken).ConfigureAwait(false);
        return [.. builtIn.Concat(custom.Select(c => c.Info)).OrderBy(t => t.Name, StringComparer.Ordinal)];
    }

    /// <summary>The id the image's tag points at now (inspected at every start: a rebuild moves it) and its environment.</summary>
    private async Task<(string Id, IReadOnlyDictionary<string, string> Env)> InspectImageAsync(TemplateDefinition definition, CancellationToken cancellationToken)
    {
        ImageInspectResponse inspected;
        try
        {
            inspected = await _docker.Images.InspectImageAsync(definition.Image, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerImageNotFoundException)
        {
            throw new SandboxValidationException("template", $"No image '{definition.Image}' on node '{_node.Name}'; {BuildHint(definition)}");
        }

        if (_imageEnv.TryGetValue(inspected.ID, out var cached))
        {
            return (inspected.ID, cached);
        }

        var env = new Dictionary<string, string>();
        foreach (var entry in inspected.Config?.Env ?? [])
        {
            var eq = entry.IndexOf('=');
            if (eq > 0)
            {
                env[entry[..eq]] = entry[(eq + 1)..];
            }
        }

        return (inspected.ID, _imageEnv[inspected.ID] = env);
    }

    /// <summary>A container's private host directory: named after the end of the container name, because
    /// Unix socket paths are limited to 107 bytes.</summary>
    private string RunDirectoryOf(string containerName) =>
        Path.Combine(_options.RunDirectory, containerName.Length >= 12 ? containerName[^12..] : containerName);

    private async Task RemoveByNameAsync(string name)
    {
        try
        {
            await _docker.Containers.RemoveContainerAsync(name, new ContainerRemoveParameters { Force = true }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (DockerApiException)
        {
        }
    }

    private static void TryDeleteDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
        }
    }

    public void Dispose() => _docker.Dispose();

    [LoggerMessage(1, LogLevel.Debug, "Started container {ContainerId} from template {Template} for sandbox {SandboxId} in {ElapsedMs:F0} ms")]
    private partial void LogStarted(string containerId, string template, string? sandboxId, double elapsedMs);
}
