using Microsoft.Extensions.Logging;
using SoulBox.Grains.Containers;

namespace SoulBox.Grains.Hosting;

/// <summary>At start-up, before the pool starts containers, settles and logs which OCI runtime this node's containers
/// run under (<see cref="OciRuntimeSelector"/>). An engine that does not answer yet does not stop the node: the
/// runtime is then chosen at the first container start.</summary>
internal sealed partial class OciRuntimeCheck(IContainerRuntime runtime, ILogger<OciRuntimeCheck> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(OciRuntimeCheck), ServiceLifecycleStage.RuntimeGrainServices, CheckAsync);

    private async Task CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            await runtime.CheckOciRuntimeAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogEngineUnavailable(e);
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Could not ask the Docker engine which OCI runtimes it has; the runtime for sandbox containers is chosen at the first container start")]
    private partial void LogEngineUnavailable(Exception exception);
}
