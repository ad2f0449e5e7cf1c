namespace SoulBox.Grains.Sandboxes;

// Code contexts with a working directory, listing and restart. Placeholder until the implementation lands.
internal sealed partial class SandboxGrain
{
    public Task<CodeContextInfo> CreateContextAsync(string language, string? cwd, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("Not implemented yet.");

    public Task<CodeContextInfo[]> ListContextsAsync(CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("Not implemented yet.");

    public Task RestartContextAsync(string contextId, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("Not implemented yet.");
}
