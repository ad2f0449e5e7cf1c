using Docker.DotNet;
using Microsoft.Extensions.Logging;
using SoulBox.Grains.AgentClient;

namespace SoulBox.Grains.Containers;

/// <summary>A started container and the open connection to its agent.</summary>
internal sealed record ConnectedContainer(ContainerHandle Container, AgentConnection Agent)
{
    /// <summary>Starts a container and connects to its agent; on any failure removes the container and throws a
    /// <see cref="SoulBoxException"/> (Docker's and the socket's own exceptions do not cross the wire).</summary>
    public static async Task<ConnectedContainer> StartAsync(IContainerRuntime runtime, ContainerSpec spec, TimeSpan agentTimeout, ILogger logger, ContainerStarts starts, CancellationToken cancellationToken)
    {
        try
        {
            var started = await StartAsync(runtime, spec, agentTimeout, logger, cancellationToken).ConfigureAwait(false);
            starts.Success();
            return started;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            starts.Failure(e.Message);
            throw;
        }
    }

    private static async Task<ConnectedContainer> StartAsync(IContainerRuntime runtime, ContainerSpec spec, TimeSpan agentTimeout, ILogger logger, CancellationToken cancellationToken)
    {
        ContainerHandle container;
        try
        {
            container = await runtime.StartAsync(spec, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerApiException e)
        {
            throw new SoulBoxException(ErrorCodes.Internal, $"Docker could not start a '{spec.Template}' container: {e.Message}");
        }

        try
        {
            return new ConnectedContainer(container, await AgentConnection.ConnectAsync(container.SocketPath, agentTimeout, logger, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception e)
        {
            await runtime.RemoveAsync(container, CancellationToken.None).ConfigureAwait(false);
            if (e is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw new SoulBoxException(ErrorCodes.Internal, $"The agent in a new '{spec.Template}' container did not start: {e.Message}");
        }
    }
}
