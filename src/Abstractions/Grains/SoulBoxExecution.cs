namespace SoulBox.Grains;

/// <summary>The one way to run a one-shot execution from outside the node: pick the node, then call it directly so
/// the caller's cancellation reaches the run (a caller that gives up frees its slot and its container).</summary>
public static class SoulBoxExecution
{
    /// <summary>Nodes a run may find draining before the caller is told (503, Retry-After).</summary>
    private const int MaxReplacements = 3;

    /// <summary>Runs <paramref name="request"/> for <paramref name="tenant"/> on the worker node with the most free slots.</summary>
    public static Task<ExecuteResult> ExecuteAsync(this IGrainFactory grains, ExecuteRequest request, string tenant, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return OnSomeNodeAsync(grains, request.Language, node => grains.GetGrain<INodeGrain>(node).ExecuteAsync(request, tenant, cancellationToken), cancellationToken);
    }

    /// <summary>Runs the batch <paramref name="request"/> for <paramref name="tenant"/> on the worker node with the
    /// most free slots (the whole batch on one node: its compile is that node's, and so is its compile cache).</summary>
    public static Task<ExecuteBatchResult> ExecuteBatchAsync(this IGrainFactory grains, ExecuteBatchRequest request, string tenant, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return OnSomeNodeAsync(grains, request.Language, node => grains.GetGrain<INodeGrain>(node).ExecuteBatchAsync(request, tenant, cancellationToken), cancellationToken);
    }

    /// <summary>Runs the batch <paramref name="request"/> whose cases name input files (<see cref="TestCase.StdinFile"/>,
    /// <see cref="TestCase.ExpectedOutputFile"/>): picks the node, has it check the request and open an input set, lets
    /// <paramref name="writeInputs"/> stream the files into it, then runs the batch on that node, which removes the set
    /// when the batch ends. A node that starts draining after the upload answers 503 (the files are not sent twice).</summary>
    public static async Task<ExecuteBatchResult> ExecuteBatchAsync(
        this IGrainFactory grains, ExecuteBatchRequest request, string tenant, Func<BatchInputWriter, CancellationToken, Task> writeInputs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(writeInputs);
        var (node, inputSet) = await OnSomeNodeAsync(grains, request.Language, async name => (name, await grains.GetGrain<INodeGrain>(name).OpenBatchInputsAsync(request, tenant).ConfigureAwait(false)), cancellationToken).ConfigureAwait(false);
        var grain = grains.GetGrain<INodeGrain>(node);
        try
        {
            await writeInputs(new BatchInputWriter(grain, inputSet, tenant), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // The batch will not run: free the node's disk now rather than at the set's expiry.
            _ = grain.DiscardBatchInputsAsync(inputSet, tenant);
            throw;
        }

        return await grain.ExecuteBatchAsync(request with { InputSet = inputSet }, tenant, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<T> OnSomeNodeAsync<T>(IGrainFactory grains, string? language, Func<string, Task<T>> run, CancellationToken cancellationToken)
    {
        if (language is null)
        {
            throw new SandboxValidationException("language", "language is required.");
        }

        var factory = grains.GetGrain<ISandboxFactoryGrain>(0);
        var node = await factory.PickExecutionNodeAsync(language).WaitAsync(cancellationToken).ConfigureAwait(false);
        List<string> draining = [];
        while (true)
        {
            try
            {
                return await run(node).ConfigureAwait(false);
            }
            catch (NodeDrainingException e) when (draining.Count < MaxReplacements)
            {
                // The node began draining after the factory's last load report: nothing ran, so place it again.
                draining.Add(e.Node);
                node = await factory.PickExecutionNodeExcludingAsync(language, [.. draining]).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
