namespace SoulBox.Grains;

/// <summary>Entry point for work that is not yet tied to a node: picks the least-loaded worker
/// node for a new sandbox or a one-shot run, and fans out listings. A stateless worker, local to the caller.</summary>
[Alias("soulbox.ISandboxFactoryGrain")]
public interface ISandboxFactoryGrain : IGrainWithIntegerKey
{
    [Alias("CreateSandbox")]
    Task<SandboxInfo> CreateSandboxAsync(SandboxCreateOptions options, CancellationToken cancellationToken = default);

    [Alias("Execute")]
    Task<ExecuteResult> ExecuteAsync(ExecuteRequest request, CancellationToken cancellationToken = default);

    [Alias("ListSandboxes")]
    Task<SandboxInfo[]> ListSandboxesAsync(Dictionary<string, string>? metadata, string? tenant);

    /// <summary>Templates present on at least one worker node.</summary>
    [Alias("GetTemplates")]
    Task<TemplateInfo[]> GetTemplatesAsync();

    /// <summary>Load of every worker node that answers.</summary>
    [Alias("GetNodes")]
    Task<NodeLoad[]> GetNodesAsync();
}
