namespace SoulBox.Grains.Sandboxes;

// File rename. Placeholder until the implementation lands.
internal sealed partial class SandboxGrain
{
    public Task<SandboxFileInfo> MoveFileAsync(string source, string destination, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("Not implemented yet.");
}
