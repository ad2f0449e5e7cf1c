namespace SoulBox.Grains;

/// <summary>The one way to run a one-shot execution from outside the node: pick the node, then call it directly so
/// the caller's cancellation reaches the run (a caller that gives up frees its slot and its container).</summary>
public static class SoulBoxExecution
{
    /// <summary>Runs <paramref name="request"/> for <paramref name="tenant"/> on the worker node with the most free slots.</summary>
    public static async Task<ExecuteResult> ExecuteAsync(this IGrainFactory grains, ExecuteRequest request, string tenant, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Language is null)
        {
            throw new SandboxValidationException("language", "language is required.");
        }

        var node = await grains.GetGrain<ISandboxFactoryGrain>(0).PickExecutionNodeAsync(request.Language).WaitAsync(cancellationToken).ConfigureAwait(false);
        return await grains.GetGrain<INodeGrain>(node).ExecuteAsync(request, tenant, cancellationToken).ConfigureAwait(false);
    }
}
