using SoulBox.Agent.Protocol;
using SoulBox.Grains.AgentClient;
using SoulBox.Grains.Execution;

namespace SoulBox.Grains.Sandboxes;

// File rename: one agent request (file.move), resolved beneath the sandbox's roots as the sandbox user.
internal sealed partial class SandboxGrain
{
    public async Task<SandboxFileInfo> MoveFileAsync(string source, string destination, CancellationToken cancellationToken = default)
    {
        await ThrowIfUnknownAsync();
        var agent = EnsureRunning();
        FileNames.ValidatePath(source, "source");
        FileNames.ValidatePath(destination, "destination");
        var moved = await Call(() => agent.RequestAsync(new MoveFileRequest(source, destination), cancellationToken), source);
        return AgentErrors.ToFileInfo(((FileStatEvent)moved).Entry);
    }
}
