using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Runtime;
using SoulBox.Grains.Containers;
using SoulBox.Grains.Execution;
using SoulBox.Grains.Hosting;
using SoulBox.Grains.Placement;
using SoulBox.Grains.Pool;
using SoulBox.Grains.Sandboxes;

namespace SoulBox.Grains.Nodes;

/// <summary>This worker node's face to the cluster (key = node name, pinned to the node).</summary>
[NodePinnedPlacement, Reentrant]
internal sealed class NodeGrain(
    NodeIdentity node,
    SandboxRegistry registry,
    ExecutorPool executors,
    WarmContainerPool warmPool,
    TemplateCatalog templates,
    WorkerReadiness readiness,
    NodeDrain drain,
    NodeDrainer drainer,
    BatchInputStore batchInputs,
    IClusterMembershipService membership,
    IOptions<SandboxOptions> options) : Grain, INodeGrain
{
    private bool IsThisNode => this.GetPrimaryKeyString() == node.Name;

    public async Task<NodeLoad?> GetLoadAsync()
    {
        if (!IsThisNode)
        {
            LeaveForeignSilo();
            return null;
        }

        IReadOnlyDictionary<string, TemplateInfo> present;
        try
        {
            present = await templates.GetAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is not SoulBoxException)
        {
            // The engine does not answer: report no templates (readiness says why) rather than fail every placement.
            present = new Dictionary<string, TemplateInfo>();
        }

        return new NodeLoad
        {
            Node = node.Name,
            ActiveSandboxes = registry.Count,
            MaxSandboxes = options.Value.MaxSandboxesPerNode,
            WarmContainers = warmPool.TotalIdle + executors.IdleCount,
            Templates = [.. present.Keys],
            Executors = executors.ExecutorCount,
            RunningExecutions = executors.RunningExecutions,
            MaxExecutions = executors.MaxExecutions,
            Draining = drain.IsDraining,
            NotReady = await readiness.MissingAsync(CancellationToken.None),
            WarmingUp = readiness.WarmingUp,
        };
    }

    public Task<SandboxInfo[]> ListSandboxesAsync(Dictionary<string, string>? metadata, string? tenant)
    {
        if (!IsThisNode)
        {
            LeaveForeignSilo();
            return Task.FromResult<SandboxInfo[]>([]);
        }

        return Task.FromResult(registry.Find(metadata, tenant));
    }

    public async Task<TemplateInfo[]> GetTemplatesAsync()
    {
        if (!IsThisNode)
        {
            LeaveForeignSilo();
            return [];
        }

        return [.. await templates.GetAllAsync(CancellationToken.None)];
    }

    public async Task<ExecuteResult> ExecuteAsync(ExecuteRequest request, string tenant, CancellationToken cancellationToken = default)
    {
        CheckCanExecute(tenant);
        return await executors.ExecuteAsync(request, tenant, await templates.GetAsync(cancellationToken), cancellationToken);
    }

    public async Task<ExecuteBatchResult> ExecuteBatchAsync(ExecuteBatchRequest request, string tenant, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        // Taken before any other check, so that a batch refused for any reason still removes its files.
        using var inputs = request.InputSet is { } inputSet && IsThisNode ? batchInputs.Take(inputSet, tenant) : null;
        CheckCanExecute(tenant);
        return await executors.ExecuteBatchAsync(request, tenant, await templates.GetAsync(cancellationToken), inputs, cancellationToken);
    }

    public Task<string> OpenBatchInputsAsync(ExecuteBatchRequest request, string tenant)
    {
        CheckCanExecute(tenant);
        executors.ValidateBatchBeforeFiles(request);
        return Task.FromResult(batchInputs.Open(tenant));
    }

    public Task AppendBatchInputAsync(string inputSet, string tenant, string file, byte[] chunk, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        return batchInputs.AppendAsync(inputSet, tenant, file, chunk, cancellationToken);
    }

    public Task DiscardBatchInputsAsync(string inputSet, string tenant)
    {
        batchInputs.Discard(inputSet, tenant);
        return Task.CompletedTask;
    }

    private void CheckCanExecute(string tenant)
    {
        if (!IsThisNode)
        {
            LeaveForeignSilo();
            throw new NoCapacityException($"Node '{this.GetPrimaryKeyString()}' is not in the cluster.");
        }

        if (drain.IsDraining)
        {
            throw new NodeDrainingException(node.Name, $"Node '{node.Name}' is draining and takes no new one-shot runs; retry after the Retry-After seconds.");
        }

        if (string.IsNullOrEmpty(tenant))
        {
            throw new SandboxValidationException("tenant", "A one-shot execution needs the tenant it runs for.");
        }
    }

    public Task<DrainStatus?> DrainAsync() => Task.FromResult(IsThisNode ? drainer.Begin(NodeDrainer.AdminTrigger) : NotHere());

    public Task<DrainStatus?> GetDrainStatusAsync() => Task.FromResult(IsThisNode ? drainer.Status() : NotHere());

    private DrainStatus? NotHere()
    {
        LeaveForeignSilo();
        return null;
    }

    /// <summary>This activation is on another node's silo: placement put it here while its node was out of the cluster
    /// (or not yet known to host node grains). Orleans keeps sending the key to this silo after a deactivation, so
    /// once the node is an Active member the activation migrates instead: migration asks placement again and moves
    /// every caller's route to the node. A node restarted under its name would otherwise stay invisible here.</summary>
    private void LeaveForeignSilo()
    {
        var key = this.GetPrimaryKeyString();
        if (membership.CurrentSnapshot.Members.Values.Any(m => m.Name == key && m.Status == SiloStatus.Active))
        {
            MigrateOnIdle();
        }
        else
        {
            DeactivateOnIdle();
        }
    }
}
