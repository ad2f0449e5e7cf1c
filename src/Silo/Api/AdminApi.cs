using Microsoft.AspNetCore.Http.HttpResults;
using SoulBox.Grains;
using SoulBox.Silo.Problems;

namespace SoulBox.Silo.Api;

/// <summary>Operator calls on the cluster's worker nodes, answered by any gateway: their loads, and draining one (a
/// rolling restart: the node takes no new work, finishes what it has until SoulBox:Drain:DeadlineSeconds, then
/// exits). Admin key only (or a loopback caller when SoulBox:Auth:LoopbackIsAdmin holds); map with the admin policy.</summary>
public static class AdminApi
{
    public static RouteGroupBuilder MapAdminApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/admin/nodes").WithTags("Admin");
        group.MapGet("/", ListNodesAsync).WithName("ListNodes")
            .WithSummary("Every worker node that answers: load, declared size, draining, readiness (what is missing)");
        group.MapPost("/{node}/drain", DrainAsync).WithName("DrainNode")
            .WithSummary("Drain a worker node: no new work, running work finishes until the deadline, then the node exits");
        group.MapGet("/{node}/drain", GetDrainAsync).WithName("GetNodeDrain")
            .WithSummary("A worker node's drain state: active, draining or drained, with what is left");
        return group;
    }

    internal static async Task<Ok<NodeLoad[]>> ListNodesAsync(IGrainFactory grains) =>
        TypedResults.Ok(await grains.GetGrain<ISandboxFactoryGrain>(0).GetNodesAsync());

    internal static async Task<Accepted<DrainStatus>> DrainAsync(string node, IGrainFactory grains) =>
        TypedResults.Accepted($"/admin/nodes/{node}/drain", await Node(grains, node).DrainAsync() ?? throw NotFound(node));

    internal static async Task<Ok<DrainStatus>> GetDrainAsync(string node, IGrainFactory grains) =>
        TypedResults.Ok(await Node(grains, node).GetDrainStatusAsync() ?? throw NotFound(node));

    private static INodeGrain Node(IGrainFactory grains, string node) =>
        SandboxIds.IsValidNodeName(node) ? grains.GetGrain<INodeGrain>(node) : throw NotFound(node);

    private static SoulBoxException NotFound(string node) =>
        new(GatewayErrorCodes.NodeNotFound, $"No worker node named '{node}' is up in the cluster (GET /admin/nodes lists them).");
}
