using Microsoft.Extensions.Options;
using SoulBox.Grains.Pool;
using SoulBox.Grains.State;

namespace SoulBox.Grains.Tests;

/// <summary>A cluster state store that can be made to fail (a Redis that is away) and counts what reached it:
/// sandboxes go to the in-memory store, demand profiles to a dictionary.</summary>
internal sealed class FakeStateStore(TimeProvider time) : IClusterStateStore
{
    private readonly InMemoryClusterStateStore _sandboxes = new(Options.Create(new ClusterStateOptions()), time);

    public Dictionary<string, DemandProfile> Profiles { get; } = [];

    /// <summary>Calls fail while this is above zero, each failure counting it down.</summary>
    public int FailuresLeft { get; set; }

    public List<string> Written { get; } = [];

    public bool IsDurable => true;

    public Task SandboxLiveAsync(StoredSandbox sandbox, CancellationToken cancellationToken = default)
    {
        Fail();
        Written.Add($"live {sandbox.Id}");
        return _sandboxes.SandboxLiveAsync(sandbox, cancellationToken);
    }

    public Task SandboxEndedAsync(StoredSandbox sandbox, CancellationToken cancellationToken = default)
    {
        Fail();
        Written.Add($"ended {sandbox.Id}");
        return _sandboxes.SandboxEndedAsync(sandbox, cancellationToken);
    }

    public Task<StoredSandbox?> FindSandboxAsync(string sandboxId, CancellationToken cancellationToken = default)
    {
        Fail();
        return _sandboxes.FindSandboxAsync(sandboxId, cancellationToken);
    }

    public Task<int> MarkNodeLostAsync(string node, int upToGeneration, string reason, CancellationToken cancellationToken = default)
    {
        Fail();
        return _sandboxes.MarkNodeLostAsync(node, upToGeneration, reason, cancellationToken);
    }

    public Task SaveDemandProfileAsync(string node, DemandProfile profile, CancellationToken cancellationToken = default)
    {
        Fail();
        Profiles[node] = profile;
        return Task.CompletedTask;
    }

    public Task<DemandProfile?> LoadDemandProfileAsync(string node, CancellationToken cancellationToken = default)
    {
        Fail();
        return Task.FromResult(Profiles.GetValueOrDefault(node));
    }

    private void Fail()
    {
        if (FailuresLeft > 0)
        {
            FailuresLeft--;
            throw new InvalidOperationException("The store is away.");
        }
    }
}
