namespace SoulBox.Grains;

/// <summary>One per worker node (key = node name), pinned to that node: its load, its sandboxes,
/// its templates, and one-shot executions in containers reset between runs.</summary>
[Alias("soulbox.INodeGrain")]
public interface INodeGrain : IGrainWithStringKey
{
    /// <summary>This node's load, or null when the key names no worker node that is up.</summary>
    [Alias("GetLoad")]
    Task<NodeLoad?> GetLoadAsync();

    /// <summary>This node's running sandboxes, filtered by every given metadata pair and by tenant (null: all).</summary>
    [Alias("ListSandboxes")]
    Task<SandboxInfo[]> ListSandboxesAsync(Dictionary<string, string>? metadata, string? tenant);

    /// <summary>Templates whose images are present on this node.</summary>
    [Alias("GetTemplates")]
    Task<TemplateInfo[]> GetTemplatesAsync();

    /// <summary>Runs a one-shot execution for <paramref name="tenant"/>, whose share of the node's execution slots
    /// it counts against.</summary>
    [Alias("Execute")]
    Task<ExecuteResult> ExecuteAsync(ExecuteRequest request, string tenant, CancellationToken cancellationToken = default);

    /// <summary>Runs a batch (one program, many test cases, each judged) for <paramref name="tenant"/>: one slot of
    /// its share for the compile and the cases, more for cases in parallel while they are free.</summary>
    [Alias("ExecuteBatch")]
    Task<ExecuteBatchResult> ExecuteBatchAsync(ExecuteBatchRequest request, string tenant, CancellationToken cancellationToken = default);

    /// <summary>Checks <paramref name="request"/> as far as it can before its input files arrive (so a batch that
    /// would be refused is refused before they cross the network), then opens a set of input files for it on this
    /// node (a host directory the silo alone reads, never mounted into a container) and returns its id; the batch that
    /// names it (<see cref="ExecuteBatchRequest.InputSet"/>) removes it when it ends, and a set nobody uses for a while
    /// expires.</summary>
    [Alias("OpenBatchInputs")]
    Task<string> OpenBatchInputsAsync(ExecuteBatchRequest request, string tenant);

    /// <summary>Appends <paramref name="chunk"/> (at most 1 MiB) to the input file <paramref name="file"/> of the set.</summary>
    [Alias("AppendBatchInput")]
    Task AppendBatchInputAsync(string inputSet, string tenant, string file, byte[] chunk, CancellationToken cancellationToken = default);

    /// <summary>Removes an input set whose batch will not run (its upload failed); nothing when it is gone already.</summary>
    [Alias("DiscardBatchInputs")]
    Task DiscardBatchInputsAsync(string inputSet, string tenant);

    /// <summary>Starts draining this node (idempotent): no new sandboxes or one-shot runs; running runs finish;
    /// sandboxes live on until they end or SoulBox:Drain:DeadlineSeconds pass. Null when the key names no worker
    /// node that is up.</summary>
    [Alias("Drain")]
    Task<DrainStatus?> DrainAsync();

    /// <summary>This node's drain state, or null when the key names no worker node that is up.</summary>
    [Alias("GetDrainStatus")]
    Task<DrainStatus?> GetDrainStatusAsync();
}
