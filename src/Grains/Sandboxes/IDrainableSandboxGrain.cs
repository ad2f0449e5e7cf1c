namespace SoulBox.Grains.Sandboxes;

/// <summary>What the node's drainer asks of a sandbox still alive at the drain deadline. Internal: no caller outside
/// the node ends a sandbox with a reason of its choosing.</summary>
[Alias("soulbox.IDrainableSandboxGrain")]
internal interface IDrainableSandboxGrain : IGrainWithStringKey
{
    /// <summary>Ends the sandbox (its container removed); later calls get 409 with <paramref name="reason"/>.</summary>
    [Alias("EndDrained")]
    Task EndDrainedAsync(string reason);
}
