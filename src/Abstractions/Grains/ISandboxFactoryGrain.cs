namespace SoulBox.Grains;

/// <summary>Entry point for work that is not yet tied to a node: picks the least-loaded worker
/// node for a new sandbox or a one-shot run, and fans out listings. A stateless worker, local to the caller.</summary>
[Alias("soulbox.ISandboxFactoryGrain")]
public interface ISandboxFactoryGrain : IGrainWithIntegerKey
{
    /// <summary>Creates a sandbox on the least-loaded worker node that has the template.</summary>
    [Alias("CreateSandbox")]
    Task<SandboxInfo> CreateSandboxAsync(SandboxCreateOptions options, CancellationToken cancellationToken = default);

    /// <summary>The worker node with the most free one-shot execution slots that has the language's image. Callers
    /// then call that node's <see cref="INodeGrain.ExecuteAsync"/> themselves (see
    /// <see cref="SoulBoxExecution.ExecuteAsync"/>): a call through this stateless worker does not carry the
    /// caller's cancellation on to the node (measured: a cancelled run kept its slot to the end), a direct call does.</summary>
    [Alias("PickExecutionNode")]
    Task<string> PickExecutionNodeAsync(string language);

    /// <summary>As <see cref="PickExecutionNodeAsync"/>, leaving out <paramref name="excludedNodes"/> (nodes that
    /// refused the run because they are draining, while this factory's load reports still showed them open).</summary>
    [Alias("PickExecutionNodeExcluding")]
    Task<string> PickExecutionNodeExcludingAsync(string language, string[] excludedNodes);

    /// <summary>Sandboxes of every worker node, filtered by every given metadata pair and by tenant (null: all).</summary>
    [Alias("ListSandboxes")]
    Task<SandboxInfo[]> ListSandboxesAsync(Dictionary<string, string>? metadata, string? tenant);

    /// <summary>Templates present on at least one worker node.</summary>
    [Alias("GetTemplates")]
    Task<TemplateInfo[]> GetTemplatesAsync();

    /// <summary>Load of every worker node that answers.</summary>
    [Alias("GetNodes")]
    Task<NodeLoad[]> GetNodesAsync();
}
