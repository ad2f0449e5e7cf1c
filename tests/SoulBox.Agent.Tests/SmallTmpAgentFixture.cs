namespace SoulBox.Agent.Tests;

/// <summary>An agent whose tmp directory is a 256 KiB tmpfs, as small as a full sandbox: writes there run out of space.</summary>
public sealed class SmallTmpAgentFixture : AgentFixture
{
    public const int SizeBytes = 256 * 1024;

    protected override Task PrepareDirectoriesAsync() => RunAsync("mount", "-t", "tmpfs", "-o", $"size={SizeBytes},mode=0755", "soulbox-test-small-tmp", TmpDir);

    protected override Task CleanUpDirectoriesAsync() => RunAsync("umount", TmpDir);
}
