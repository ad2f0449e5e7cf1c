using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using SoulBox.Grains.Containers;
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
    IOptions<SandboxOptions> options) : Grain, INodeGrain
{
    private bool IsThisNode => this.GetPrimaryKeyString() == node.Name;

    public async Task<NodeLoad?> GetLoadAsync()
    {
        if (!IsThisNode)
        {
            DeactivateOnIdle();
            return null;
        }

        var present = await templates.GetAsync(CancellationToken.None);
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
        };
    }

    public Task<SandboxInfo[]> ListSandboxesAsync(Dictionary<string, string>? metadata, string? tenant) =>
        Task.FromResult(IsThisNode ? registry.Find(metadata, tenant) : []);

    public async Task<TemplateInfo[]> GetTemplatesAsync() =>
        IsThisNode ? [.. (await templates.GetAsync(CancellationToken.None)).Values] : [];

    public async Task<ExecuteResult> ExecuteAsync(ExecuteRequest request, string tenant, CancellationToken cancellationToken = default)
    {
        if (!IsThisNode)
        {
            throw new NoCapacityException($"Node '{this.GetPrimaryKeyString()}' is not in the cluster.");
        }

        if (string.IsNullOrEmpty(tenant))
        {
            throw new SandboxValidationException("tenant", "A one-shot execution needs the tenant it runs for.");
        }

        return await executors.ExecuteAsync(request, tenant, await templates.GetAsync(cancellationToken), cancellationToken);
    }
}
