namespace SoulBox.Grains;

/// <summary>Entry point for work that is not yet tied to a node: picks the least-loaded worker
/// node for a new sandbox or a one-shot run, and fans out listings. A stateless worker, local to the caller.</summary>
[Alias("soulbox.ISandboxFactoryGrain")]
public interface ISandboxFactoryGrain : IGrainWithIntegerKey
{
    [Alias("CreateSandbox")]
    Task<SandboxInfo> CreateSandboxAsync(SandboxCreateOptions options, CancellationToken cancellationToken = default);

    /// <summary>Runs a one-shot execution on the worker node with the most free execution slots. The tenant is the
    /// gateway's authenticated tenant (or the .NET client's configured one); each node shares its slots fairly
    /// between tenants and answers <see cref="TenantShareExceededException"/> or <see cref="NodeBusyException"/>
    /// after a bounded wait.</summary>
    [Alias("Execute")]
    Task<ExecuteResult> ExecuteAsync(ExecuteRequest request, string tenant, CancellationToken cancellationToken = default);

    [Alias("ListSandboxes")]
    Task<SandboxInfo[]> ListSandboxesAsync(Dictionary<string, string>? metadata, string? tenant);

    /// <summary>Templates present on at least one worker node.</summary>
    [Alias("GetTemplates")]
    Task<TemplateInfo[]> GetTemplatesAsync();

    /// <summary>Load of every worker node that answers.</summary>
    [Alias("GetNodes")]
    Task<NodeLoad[]> GetNodesAsync();
}
