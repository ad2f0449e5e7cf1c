using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Docker.DotNet;
using SoulBox.Bench.Target;

namespace SoulBox.Bench.Baselines.Jupyter;

/// <summary>The bench-only image <c>soulbox/bench-jupyter</c> (images/bench-jupyter: FROM soulbox/python plus
/// Debian's python3-ipykernel and python3-jupyter-client, and the kernel driver). Never built by
/// scripts/setup.sh or CI: the bench builds it when asked (<c>--build-jupyter</c>), and rebuilds an image that
/// exists but no longer matches its build context or base (the operator opted in when it was first built).</summary>
internal static class JupyterImage
{
    public const string Tag = "soulbox/bench-jupyter:latest";
    public const string ContextDirectory = "images/bench-jupyter";
    public const string BaseTag = "soulbox/python:latest";
    public const string HashLabel = "soulbox.bench-context-hash";
    public const string BuildOption = "--build-jupyter";

    /// <summary>Null when the image is ready to run; otherwise why the baseline cannot run (said in the report).</summary>
    public static async Task<string?> EnsureAsync(DockerClient docker, bool build, Progress progress, CancellationToken cancellationToken)
    {
        var how = $"build it with `dotnet run -c Release --project src/Bench -- warm,throughput {BuildOption}` (≈ 1-2 min, apt inside docker build)";
        var context = NodeProcess.RepositoryRoot() is { } root ? Path.Combine(root, ContextDirectory) : null;
        var have = await LabelAsync(docker, Tag, cancellationToken);
        if (context is null || !Directory.Exists(context))
        {
            // Without the sources the image cannot be checked or built; an image already there is used as it is.
            return have is not null ? null : $"image {Tag} is not built and {ContextDirectory} is not found from here";
        }

        var baseId = await ImageIdAsync(docker, BaseTag, cancellationToken);
        if (baseId is null)
        {
            return $"its base image {BaseTag} is not built (scripts/setup.sh builds it)";
        }

        var want = ContextHash(context, baseId);
        if (have == want)
        {
            return null;
        }

        if (have is null && !build)
        {
            return $"image {Tag} is not built; {how}";
        }

        progress.Phase($"building {Tag} from {ContextDirectory} ({(have is null ? "missing" : "its sources or base changed since it was built")}); docker build output follows");
        var oldId = await ImageIdAsync(docker, Tag, cancellationToken);
        var error = await BuildAsync(context, want, progress, cancellationToken);
        if (error is not null)
        {
            return $"building {Tag} failed ({error}); {how}";
        }

        if (oldId is not null && oldId != await ImageIdAsync(docker, Tag, cancellationToken))
        {
            await RemoveQuietlyAsync(docker, oldId);
        }

        return null;
    }

    /// <summary>Drops the image a rebuild replaced (as scripts/setup.sh does); refused harmlessly while a container uses it.</summary>
    private static async Task RemoveQuietlyAsync(DockerClient docker, string imageId)
    {
        try
        {
            await docker.Images.DeleteImageAsync(imageId, new Docker.DotNet.Models.ImageDeleteParameters());
        }
        catch (DockerApiException)
        {
        }
    }

    /// <summary>Hash of the build context (relative paths and contents) and the base image's id: a rebuilt base
    /// or an edited driver makes the image stale.</summary>
    public static string ContextHash(string context, string baseImageId)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in Directory.EnumerateFiles(context, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(Path.GetRelativePath(context, file).Replace('\\', '/') + "\n"));
            hash.AppendData(File.ReadAllBytes(file));
        }

        hash.AppendData(Encoding.UTF8.GetBytes("base=" + baseImageId));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static async Task<string?> LabelAsync(DockerClient docker, string tag, CancellationToken cancellationToken)
    {
        try
        {
            var image = await docker.Images.InspectImageAsync(tag, cancellationToken);
            return image.Config?.Labels is { } labels && labels.TryGetValue(HashLabel, out var value) ? value : "";
        }
        catch (DockerImageNotFoundException)
        {
            return null;
        }
    }

    private static async Task<string?> ImageIdAsync(DockerClient docker, string tag, CancellationToken cancellationToken)
    {
        try
        {
            return (await docker.Images.InspectImageAsync(tag, cancellationToken)).ID;
        }
        catch (DockerImageNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Runs <c>docker build</c> (the CLI, as scripts/setup.sh does: its output is the visible progress);
    /// null on success, else the last line it printed.</summary>
    private static async Task<string?> BuildAsync(string context, string hash, Progress progress, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("docker")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "build", "--label", $"{HashLabel}={hash}", "-t", Tag, context })
        {
            start.ArgumentList.Add(argument);
        }

        // The classic builder's step-by-step output reads well line by line, and it needs no buildx plugin.
        start.Environment["DOCKER_BUILDKIT"] = "0";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start docker");
        var last = "";
        async Task PumpAsync(StreamReader reader)
        {
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.Length > 0)
                {
                    last = line;
                    progress.Info("docker build: " + line);
                }
            }
        }

        await Task.WhenAll(PumpAsync(process.StandardOutput), PumpAsync(process.StandardError), process.WaitForExitAsync(cancellationToken));
        return process.ExitCode == 0 ? null : $"exit {process.ExitCode}: {last}";
    }
}
