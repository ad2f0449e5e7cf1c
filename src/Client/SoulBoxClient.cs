using Microsoft.Extensions.Options;
using SoulBox.Grains;

namespace SoulBox.Client;

internal sealed class SoulBoxClient(IClusterClient cluster, IOptions<SoulBoxClientOptions> options) : ISoulBoxClient
{
    private ISandboxFactoryGrain Factory => cluster.GetGrain<ISandboxFactoryGrain>(0);

    public async Task<Sandbox> CreateSandboxAsync(SandboxCreateOptions? options = null, CancellationToken cancellationToken = default)
    {
        var info = await Factory.CreateSandboxAsync(options ?? new SandboxCreateOptions(), cancellationToken).ConfigureAwait(false);
        return new Sandbox(cluster.GetGrain<ISandboxGrain>(info.Id), info, ownsSandbox: true);
    }

    public async Task<Sandbox> ConnectAsync(string sandboxId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sandboxId);
        if (SandboxIds.NodeOf(sandboxId) is null)
        {
            throw new SandboxNotFoundException(sandboxId);
        }

        var grain = cluster.GetGrain<ISandboxGrain>(sandboxId);
        var info = await grain.GetInfoAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Sandbox(grain, info, ownsSandbox: false);
    }

    public Task<ExecuteResult> ExecuteAsync(ExecuteRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return cluster.ExecuteAsync(request, options.Value.Tenant, cancellationToken);
    }

    public Task<ExecuteBatchResult> ExecuteBatchAsync(ExecuteBatchRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return cluster.ExecuteBatchAsync(request, options.Value.Tenant, cancellationToken);
    }

    public Task<ExecuteBatchResult> ExecuteBatchAsync(ExecuteBatchRequest request, IReadOnlyDictionary<string, Stream> inputFiles, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(inputFiles);
        return cluster.ExecuteBatchAsync(request, options.Value.Tenant, async (writer, ct) =>
        {
            foreach (var (name, content) in inputFiles)
            {
                await writer.WriteAsync(name, content, ct).ConfigureAwait(false);
            }
        }, cancellationToken);
    }

    public async Task<IReadOnlyList<SandboxInfo>> ListSandboxesAsync(IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default) =>
        await Factory.ListSandboxesAsync(metadata is null ? null : new Dictionary<string, string>(metadata), tenant: null).WaitAsync(cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<TemplateInfo>> GetTemplatesAsync(CancellationToken cancellationToken = default) =>
        await Factory.GetTemplatesAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
}
