using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Docker.DotNet;
using Docker.DotNet.Models;
using SoulBox.Agent.Protocol;
using SoulBox.Grains.Nodes;

namespace SoulBox.Grains.Containers;

/// <summary>Templates registered in configuration (SoulBox:Templates): found by the image each names, and offered only
/// when that image is present and the agent runs in it. Either failing makes the template unavailable with the reason
/// (listed, never placed on), not an error of the listing: a missing custom image must not take the node down.</summary>
internal sealed partial class DockerContainerRuntime
{
    /// <summary>The oldest glibc the published agent (NativeAOT, linked on Debian bookworm) runs on: it needs
    /// GLIBC_2.34 symbols (scripts/setup.sh prints the figure after each publish).</summary>
    public const string AgentMinimumGlibc = "2.34";

    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(15);

    // Per image id: null when the agent runs in it, else why not. An id never changes content, so one probe each.
    private readonly ConcurrentDictionary<string, Lazy<Task<string?>>> _agentProbes = new(StringComparer.Ordinal);

    /// <summary>Every registered template with its image id when present; unavailable ones carry the reason. Templates
    /// are looked at in parallel: a first look (after start-up or a rebuild) runs each image's checks.</summary>
    private async Task<IReadOnlyList<(TemplateInfo Info, string? ImageId)>> ListCustomTemplatesAsync(CancellationToken cancellationToken) =>
        await Task.WhenAll(_templates.Custom.Select(d => DescribeCustomAsync(d, cancellationToken))).ConfigureAwait(false);

    private async Task<(TemplateInfo Info, string? ImageId)> DescribeCustomAsync(TemplateDefinition definition, CancellationToken cancellationToken)
    {
        var info = new TemplateInfo
        {
            Name = definition.Name,
            Language = definition.DefaultLanguage,
            Version = definition.Version ?? "",
            Image = definition.Image,
            Languages = [.. definition.Languages],
            User = definition.User,
            Home = definition.Home,
            Custom = true,
        };
        ImageInspectResponse image;
        try
        {
            image = await _docker.Images.InspectImageAsync(definition.Image, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerImageNotFoundException)
        {
            return (info with { Available = false, UnavailableReason = $"No image '{definition.Image}' on node '{_node.Name}'; {BuildHint(definition)}" }, null);
        }

        var version = definition.Version
            ?? (image.Config?.Labels is { } labels && labels.TryGetValue("soulbox.version", out var label) ? label : "");
        var reason = await AgentIncompatibilityAsync(definition, image.ID, cancellationToken).ConfigureAwait(false);
        return (info with { Version = version, Available = reason is null, UnavailableReason = reason }, image.ID);
    }

    /// <summary>Throws a <see cref="SandboxValidationException"/> naming the template and the glibc found when the agent
    /// cannot run in the template's image.</summary>
    private async Task EnsureAgentRunsAsync(TemplateDefinition definition, string imageId, CancellationToken cancellationToken)
    {
        if (await AgentIncompatibilityAsync(definition, imageId, cancellationToken).ConfigureAwait(false) is { } reason)
        {
            throw new SandboxValidationException("template", reason);
        }
    }

    private async Task<string?> AgentIncompatibilityAsync(TemplateDefinition definition, string imageId, CancellationToken cancellationToken)
    {
        // Keyed by image and languages: two templates may share an image and declare different languages.
        var key = $"{imageId}|{string.Join(',', definition.Languages)}";
        var probe = _agentProbes.GetOrAdd(key, _ => new Lazy<Task<string?>>(() => ProbeImageAsync(imageId, definition.Languages)));
        string? problem;
        try
        {
            problem = await probe.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The engine failed, not the image: ask again next time.
            _agentProbes.TryRemove(key, out _);
            throw;
        }

        return problem is null ? null : $"Template '{definition.Name}' (image '{definition.Image}') {problem}";
    }

    /// <summary>The agent first, then each declared language's interpreter (and bash, which commands use): a template
    /// whose python3 is missing would otherwise be offered and fail every warm-up and first run.</summary>
    private async Task<string?> ProbeImageAsync(string imageId, IReadOnlyList<string> languages)
    {
        // All at once (each is a container start, about half a second): the agent's answer is reported first.
        var agent = ProbeAgentAsync(imageId);
        var interpreters = languages.Append(Languages.Shell).Distinct().Select(language => ProbeLanguageAsync(imageId, language)).ToList();
        if (await agent.ConfigureAwait(false) is { } agentProblem)
        {
            await Task.WhenAll(interpreters).ConfigureAwait(false);
            return $"cannot run the SoulBox agent: {agentProblem}";
        }

        return (await Task.WhenAll(interpreters).ConfigureAwait(false)).FirstOrDefault(problem => problem is not null);
    }

    private async Task<string?> ProbeLanguageAsync(string imageId, string language)
    {
        string[] check = language switch
        {
            // The kernel needs the standard library, which python3-minimal lacks.
            Languages.Python => ["python3", "-c", "import ast, base64, json, linecache, traceback"],
            Languages.JavaScript => ["node", "--version"],
            Languages.Go => ["go", "version"],
            Languages.Java => ["java", "-version"],
            Languages.Shell => ["bash", "--version"],
            // The other languages' tools have no common version flag (lua -v, fpc -iV): that the compiler or
            // interpreter is on PATH is what the check can say.
            _ => ["bash", "-c", $"command -v {Tool(language)}"],
        };
        var (exit, output) = await RunProbeAsync(imageId, check).ConfigureAwait(false);
        return exit == 0 ? null : $"cannot run {language}: `{string.Join(' ', check)}` failed in the image: {FirstLine(output)} (exit {exit}).";
    }

    /// <summary>The program a language's compile (or, interpreted, its run) starts first.</summary>
    private static string Tool(string language) =>
        Languages.Find(language) is { } spec ? (spec.CompileArgv ?? spec.RunArgv)[0] : language;

    /// <summary>Runs <c>soulbox-agent --version</c> in the image the way sandboxes mount it; when that fails, reads the
    /// image's glibc with <c>ldd --version</c>. Null when the agent runs, else why not.</summary>
    private async Task<string?> ProbeAgentAsync(string imageId)
    {
        var (exit, output) = await RunProbeAsync(imageId, [$"{AgentProtocol.ContainerAgentDirectory}/soulbox-agent", "--version"]).ConfigureAwait(false);
        if (exit == 0)
        {
            return null;
        }

        var (lddExit, ldd) = await RunProbeAsync(imageId, ["ldd", "--version"]).ConfigureAwait(false);
        var glibc = lddExit == 0 && GlibcVersionOf(ldd) is { } found ? $"glibc {found}" : "no glibc that ldd --version names (a musl, distroless or broken image?)";

        return $"it needs glibc >= {AgentMinimumGlibc} and the image has {glibc}; the agent said: {FirstLine(output)} (exit {exit}). Build the image FROM soulbox/python or another Debian bookworm / Ubuntu 22.04 or newer base.";
    }

    /// <summary>The glibc version in <c>ldd --version</c>'s first line ("ldd (Ubuntu GLIBC 2.31-0ubuntu9.9) 2.31").</summary>
    internal static string? GlibcVersionOf(string lddOutput)
    {
        var first = FirstLine(lddOutput);
        return first.Contains("GLIBC", StringComparison.OrdinalIgnoreCase) || first.Contains("GNU libc", StringComparison.OrdinalIgnoreCase)
            ? TrailingVersion().Match(first) is { Success: true } match ? match.Groups[1].Value : null
            : null;
    }

    private async Task<(long Exit, string Output)> RunProbeAsync(string imageId, string[] command)
    {
        using var timeout = new CancellationTokenSource(ProbeTimeout);
        var agentDirectory = _options.AgentDirectory
            ?? throw new InvalidOperationException($"{ContainerRuntimeOptions.SectionName}:AgentDirectory is not set and no artifacts/agent was found; run scripts/setup.sh.");
        var created = await _docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Name = $"soulbox-{_node.Name}-probe-{Guid.NewGuid().ToString("N")[..12]}".ToLowerInvariant(),
            Image = imageId,
            // Nobody, no capabilities, no network: the probe only prints versions.
            User = "65534:65534",
            Entrypoint = command,
            Cmd = [],
            NetworkDisabled = true,
            Labels = new Dictionary<string, string>
            {
                [NodeLabel] = _node.Name,
                [PurposeLabel] = "probe",
                [ContainerLabels.Cluster] = _owner.ClusterId,
                [ContainerLabels.Silo] = _owner.Silo.ToParsableString(),
                [ContainerLabels.Engine] = await GetEngineIdAsync(timeout.Token).ConfigureAwait(false),
            },
            HostConfig = new HostConfig
            {
                NetworkMode = "none",
                ReadonlyRootfs = true,
                Binds = [$"{agentDirectory}:{AgentProtocol.ContainerAgentDirectory}:ro"],
                CapDrop = ["ALL"],
                SecurityOpt = ["no-new-privileges"],
                Memory = 128L * 1024 * 1024,
                MemorySwap = 128L * 1024 * 1024,
                PidsLimit = 64,
                Runtime = _options.OciRuntime,
                CgroupParent = _options.EffectiveCgroupParent!,
            },
        }, timeout.Token).ConfigureAwait(false);
        try
        {
            try
            {
                await _docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), timeout.Token).ConfigureAwait(false);
            }
            catch (DockerApiException e) when (e.StatusCode is System.Net.HttpStatusCode.BadRequest or System.Net.HttpStatusCode.InternalServerError)
            {
                // The runtime could not exec the command in this image (no dynamic loader, no such program): the
                // image's answer, not the engine failing.
                return (-1, e.Message);
            }

            var waited = await _docker.Containers.WaitContainerAsync(created.ID, timeout.Token).ConfigureAwait(false);
            using var logs = await _docker.Containers.GetContainerLogsAsync(created.ID, new ContainerLogsParameters { ShowStdout = true, ShowStderr = true }, timeout.Token).ConfigureAwait(false);
            var (stdout, stderr) = await logs.ReadOutputToEndAsync(timeout.Token).ConfigureAwait(false);
            return (waited.StatusCode, (stderr + stdout).Trim());
        }
        finally
        {
            await RemoveByNameAsync(created.ID).ConfigureAwait(false);
        }
    }

    private static string FirstLine(string text)
    {
        var line = text.Trim().Split('\n', 2)[0].Trim();
        return line.Length == 0 ? "(no output)" : line.Length > 300 ? line[..300] + "…" : line;
    }

    /// <summary>How to make a missing image: setup.sh builds images/&lt;name&gt; under the default reference.</summary>
    private string BuildHint(TemplateDefinition definition) => !definition.Custom
        ? $"run {Templates.SetupCommand(definition.Name)}."
        : definition.Image == $"{_options.ImagePrefix}{definition.Name}:latest"
            ? $"build it with scripts/setup.sh --images {definition.Name} (images/{definition.Name}/Dockerfile) or pull it."
            : "build or pull it (SoulBox:Templates:" + definition.Name + ":Image names it).";

    [GeneratedRegex(@"([0-9]+\.[0-9]+)\s*$")]
    private static partial Regex TrailingVersion();
}
