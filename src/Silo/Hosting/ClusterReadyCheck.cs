using Microsoft.Extensions.Diagnostics.HealthChecks;
using SoulBox.Grains;

namespace SoulBox.Silo.Hosting;

/// <summary>Readiness: whether sending this node work now makes sense. A worker node (role worker or both) is ready
/// when it can start a sandbox: its agent artifact, a runtime image and the Docker engine are there, container starts
/// succeed, and it is not draining (see the worker's NodeLoad.NotReady). A gateway-only node is ready when at least
/// one worker in the cluster is. Unhealthy results carry the list of what is missing under <see cref="MissingKey"/>,
/// which /ready writes into its JSON body.</summary>
internal sealed class ClusterReadyCheck(IGrainFactory grains, SoulBoxNodeOptions node) : IHealthCheck
{
    public const string MissingKey = "missing";
    private const string WarmingUpItem = "containers: no container has started yet (the warm pool is starting its first).";
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return node.IsWorker ? await CheckWorkerAsync(cancellationToken) : await CheckGatewayAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return NotReady($"The cluster does not answer: {e.Message}", [$"cluster: this silo does not answer grain calls ({e.Message})."]);
        }
    }

    private async Task<HealthCheckResult> CheckWorkerAsync(CancellationToken cancellationToken)
    {
        var load = await grains.GetGrain<INodeGrain>(node.ResolvedNodeName).GetLoadAsync().WaitAsync(AnswerTimeout, cancellationToken);
        if (load is null)
        {
            return NotReady("This worker node is not active in the cluster yet.", ["cluster: this worker node is not an active member yet."]);
        }

        string[] missing = [.. load.NotReady, .. load.WarmingUp ? [WarmingUpItem] : Array.Empty<string>(),
            .. load.Draining ? [$"draining: node '{load.Node}' is draining and takes no new work."] : Array.Empty<string>()];
        return missing.Length == 0
            ? HealthCheckResult.Healthy($"Worker node '{load.Node}' can start sandboxes of: {string.Join(", ", load.Templates)}.")
            : NotReady($"Worker node '{load.Node}' cannot start a sandbox now.", missing);
    }

    private async Task<HealthCheckResult> CheckGatewayAsync(CancellationToken cancellationToken)
    {
        var nodes = await grains.GetGrain<ISandboxFactoryGrain>(0).GetNodesAsync().WaitAsync(AnswerTimeout, cancellationToken);
        var ready = nodes.Where(n => n.IsReady && n.Templates.Length > 0).ToArray();
        if (ready.Length > 0)
        {
            return HealthCheckResult.Healthy($"{ready.Length} ready worker node(s): {string.Join(", ", ready.Select(n => n.Node))}.");
        }

        return nodes.Length == 0
            ? NotReady("No worker node is up.", ["workers: no worker node is in the cluster."])
            : NotReady("No worker node can start a sandbox now.", [.. nodes.SelectMany(n =>
                n.NotReady.Concat(n.WarmingUp ? [WarmingUpItem] : []).Concat(n.Draining ? ["draining"] : []).Select(m => $"worker {n.Node}: {m}"))]);
    }

    private static HealthCheckResult NotReady(string description, string[] missing) =>
        HealthCheckResult.Unhealthy(description, data: new Dictionary<string, object> { [MissingKey] = missing });
}
