using Microsoft.Extensions.Options;
using SoulBox.Grains.Containers;
using SoulBox.Grains.Pool;

namespace SoulBox.Grains.Nodes;

/// <summary>Whether this worker can start a sandbox now, and if not, what is missing: the agent artifact
/// (soulbox-agent and soulbox-exec in SoulBox:Docker:AgentDirectory), the Docker engine answering, a runtime image,
/// and container starts succeeding (the latest start of a container with its agent did not fail; with a warm pool
/// that keeps containers, one has started since start-up). Each item is "name: why", name one of agent, docker,
/// images, containers. Draining and a warm pool still starting its first container are reported apart
/// (<see cref="NodeLoad.Draining"/>, <see cref="NodeLoad.WarmingUp"/>): placement skips draining nodes, does not mind
/// warming ones, and sends work to a node with missing items only when no node without them has the template.</summary>
internal sealed class WorkerReadiness(
    IOptions<ContainerRuntimeOptions> runtimeOptions,
    IOptions<PoolOptions> poolOptions,
    TemplateCatalog templates,
    ContainerStarts starts)
{
    /// <summary>Files a published agent directory holds (scripts/setup.sh).</summary>
    private static readonly string[] AgentFiles = ["soulbox-agent", "soulbox-exec"];

    public async Task<string[]> MissingAsync(CancellationToken cancellationToken)
    {
        List<string> missing = [];
        var directory = runtimeOptions.Value.AgentDirectory;
        if (directory is null)
        {
            missing.Add($"agent: {ContainerRuntimeOptions.SectionName}:AgentDirectory is not set and no artifacts/agent was found; run scripts/setup.sh.");
        }
        else if (AgentFiles.FirstOrDefault(f => !File.Exists(Path.Combine(directory, f))) is { } absent)
        {
            missing.Add($"agent: {directory} has no {absent} ({ContainerRuntimeOptions.SectionName}:AgentDirectory); run scripts/setup.sh.");
        }

        try
        {
            // Available templates only: a registered template whose image is missing is listed as unavailable with the
            // reason, and neither makes the node unready nor counts as an image present.
            var present = await templates.GetAsync(cancellationToken).ConfigureAwait(false);
            if (present.Count == 0)
            {
                missing.Add($"images: no runtime image ({runtimeOptions.Value.ImagePrefix}<template>) is present; run scripts/setup.sh.");
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            missing.Add($"docker: the engine at {runtimeOptions.Value.Endpoint} does not answer: {e.Message}");
        }

        if (starts.LastFailure is { } failure)
        {
            missing.Add($"containers: the latest container start failed: {failure}");
        }
        return [.. missing];
    }

    /// <summary>The warm pool keeps containers but none has started since start-up, nor failed to (a failure is a
    /// missing item); see <see cref="NodeLoad.WarmingUp"/>.</summary>
    public bool WarmingUp => starts.Succeeded == 0 && starts.LastFailure is null && poolOptions.Value is { Enabled: true, MinWarmPerTemplate: > 0 };
}
