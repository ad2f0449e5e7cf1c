namespace SoulBox.Grains.Containers;

/// <summary>How a worker node reaches Docker and lays out containers (configuration section "SoulBox:Docker").</summary>
public sealed class ContainerRuntimeOptions
{
    public const string SectionName = "SoulBox:Docker";

    /// <summary>Docker engine endpoint. Default unix:///var/run/docker.sock.</summary>
    public string Endpoint { get; set; } = "unix:///var/run/docker.sock";

    /// <summary>Engine API version to speak; 1.41 is what Debian bookworm's Docker 20.10 serves. Default "1.41".</summary>
    public string ApiVersion { get; set; } = "1.41";

    /// <summary>OCI runtime for sandbox containers (e.g. "runsc" for gVisor); null = the engine's default (runc).</summary>
    public string? OciRuntime { get; set; }

    /// <summary>Image name prefix; template T runs in "&lt;prefix&gt;T:latest". Default "soulbox/".</summary>
    public string ImagePrefix { get; set; } = "soulbox/";

    /// <summary>Host directory holding the published agent (soulbox-agent, soulbox-exec, kernels/), mounted
    /// read-only at /opt/soulbox. Default: artifacts/agent of the source tree this program runs from.</summary>
    public string? AgentDirectory { get; set; }

    /// <summary>Host directory under which each container gets a private directory for its agent socket.
    /// Default /run/soulbox (kept short: Unix socket paths are limited to 107 bytes).</summary>
    public string RunDirectory { get; set; } = "/run/soulbox";

    /// <summary>Host-wide directory of sandbox uid leases (one file per uid in use), shared by every silo on
    /// the host so no two containers get the same uid (see SandboxUidAllocator). Default: "uids" under
    /// <see cref="RunDirectory"/>.</summary>
    public string? UidLeaseDirectory { get; set; }

    public string EffectiveUidLeaseDirectory => UidLeaseDirectory ?? Path.Combine(RunDirectory, "uids");

    /// <summary>Most files and directories in each of a container's tmpfs mounts (/home/sandbox, /tmp,
    /// /dev/shm). Every inode costs kernel memory charged to the container, so without a cap millions of empty
    /// files exhaust the container's memory without any process to OOM-kill. Default 65536 (about 60 MB of
    /// kernel memory at most per mount).</summary>
    public int MaxFilesPerTmpfs { get; set; } = 65_536;

    /// <summary>Longest wait for a new container's agent to answer. Default 20 s.</summary>
    public int AgentStartTimeoutSeconds { get; set; } = 20;

    /// <summary>Parent cgroup of every sandbox container this worker starts (Docker's <c>CgroupParent</c>), so they share one
    /// budget: create it beforehand with the limits the worker's sandboxes may use together (cgroup v1: a directory under
    /// /sys/fs/cgroup/cpu with cpu.cfs_quota_us, and under memory with memory.limit_in_bytes; v2: cpu.max, memory.max).
    /// A path such as "/soulbox-w1" with the cgroupfs driver, a slice such as "soulbox-w1.slice" with the systemd
    /// driver; the engine creates a missing one without limits. Each container's own CPU, memory and pids limits
    /// still apply inside it. Default: none, the engine's default parent.</summary>
    public string? CgroupParent { get; set; }

    /// <summary><see cref="CgroupParent"/>, with an empty setting (an unset variable in a compose file) meaning none.</summary>
    public string? EffectiveCgroupParent => string.IsNullOrWhiteSpace(CgroupParent) ? null : CgroupParent;

    public IEnumerable<string> Validate()
    {
        if (!Uri.TryCreate(Endpoint, UriKind.Absolute, out _)) yield return $"{SectionName}:Endpoint '{Endpoint}' is not an absolute URI.";
        if (!Version.TryParse(ApiVersion, out _)) yield return $"{SectionName}:ApiVersion '{ApiVersion}' is not a version.";
        if (MaxFilesPerTmpfs < 1024) yield return $"{SectionName}:MaxFilesPerTmpfs must be at least 1024.";
        if (EffectiveCgroupParent is { } parent && !IsCgroupParent(parent)) yield return $"{SectionName}:CgroupParent '{parent}' must be a cgroup path (/name, a/b) or a systemd slice (name.slice): letters, digits, '-', '_', '.', '/', no '..', at most 200 characters.";
        if (RunDirectory.Length > 48) yield return $"{SectionName}:RunDirectory must be at most 48 characters (socket path limit).";
    }

    /// <summary>A cgroup path or systemd slice name: no traversal out of the hierarchy, nothing the engine would
    /// misread (a slice is a single name; a path has non-empty segments).</summary>
    private static bool IsCgroupParent(string value) =>
        value.Length is > 0 and <= 200
        && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/')
        && !value.Split('/').Contains("..")
        && value.Trim('/').Length > 0
        && !value.Trim('/').Contains("//", StringComparison.Ordinal)
        && (!value.EndsWith(".slice", StringComparison.Ordinal) || !value.Contains('/'));
}
