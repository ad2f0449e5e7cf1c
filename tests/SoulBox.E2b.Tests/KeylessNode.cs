using System.Collections.Concurrent;
using Microsoft.AspNetCore.Mvc.Testing;

namespace SoulBox.E2b.Tests;

/// <summary>A node without API keys, as the README's first command starts one on loopback: published Piston clients
/// send no key, so this is the node they are used with. No warm pool: only one-shot runs are made here.</summary>
public sealed class KeylessNode : IAsyncLifetime
{
    private static readonly TimeSpan ProgramTimeout = TimeSpan.FromMinutes(3);

    private readonly ConcurrentDictionary<string, Lazy<Task<ProgramRun>>> _runs = new();
    private WebApplicationFactory<Program>? _factory;

    public Uri BaseAddress { get; private set; } = null!;

    public ConcurrentQueue<SeenRequest> Requests { get; } = new();

    public async Task InitializeAsync()
    {
        await E2bSdks.EnsureInstalledAsync();
        (_factory, BaseAddress) = await E2bNode.StartNodeAsync(Requests, new Dictionary<string, string?>
        {
            ["SoulBox:Pool:Enabled"] = "false",
        });
    }

    /// <summary>The run of <paramref name="program"/> (with the <see cref="E2bSdks.Current"/> set's packages), started
    /// by the first test that asks.</summary>
    public Task<ProgramRun> RunOnceAsync(string program) =>
        _runs.GetOrAdd(program, key => new Lazy<Task<ProgramRun>>(
            () => NodeProgram.RunAsync(key, E2bSdks.Current, BaseAddress, apiKey: "", otherTenantKey: "", ProgramTimeout))).Value;

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
    }
}
