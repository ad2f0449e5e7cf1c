using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace SoulBox.Grains.Nodes;

/// <summary>Places new sandboxes and one-shot runs on the least-loaded worker node that has the template (load as a
/// share of each node's declared size, draining nodes left out: see <see cref="NodePicker"/>), and fans listings
/// out to every node. Stateless and local to the caller, so it adds no hop.</summary>
[StatelessWorker, Reentrant]
internal sealed partial class SandboxFactoryGrain(IClusterMembershipService membership, ILogger<SandboxFactoryGrain> logger) : Grain, ISandboxFactoryGrain
{
    private static readonly TimeSpan NodeAnswerTimeout = TimeSpan.FromSeconds(5);
    /// <summary>Draining nodes a create may meet before the caller is told (503, Retry-After).</summary>
    private const int MaxReplacements = 3;
    private static readonly TimeSpan LoadCacheLifetime = TimeSpan.FromMilliseconds(500);
    private const int MaxPlacements = 3;
    // A node that did not answer is not asked again for this long while membership stays the same: a killed worker is
    // Active until the cluster declares it dead (seconds), and asking it on every refresh made each create wait for it.
    private static readonly TimeSpan SilentNodeSkip = TimeSpan.FromSeconds(10);
    private readonly Dictionary<string, (MembershipVersion Membership, long At)> _silent = [];
    private NodeLoad[]? _loads;
    private long _loadsAt;
    private MembershipVersion _loadsMembership = MembershipVersion.MinValue;

    public async Task<SandboxInfo> CreateSandboxAsync(SandboxCreateOptions options, CancellationToken cancellationToken = default)
    {
        var template = options.Template?.Trim().ToLowerInvariant() ?? Templates.Python;
        if (!Templates.All.Contains(template) && !Hosting.CustomTemplatesOptions.IsTemplateName(template))
        {
            throw new SandboxValidationException("template", $"Unknown template '{options.Template}'; known templates: {string.Join(", ", await KnownTemplatesAsync())}.");
        }

        List<string> draining = [];
        for (var attempt = 1; ; attempt++)
        {
            NodeLoad node;
            try
            {
                node = await PickNodeAsync(template, forSandbox: true, draining);
            }
            catch (NoCapacityException) when (!Templates.All.Contains(template))
            {
                // Templates registered in configuration are known to the nodes, not here: a name no node offers is
                // unknown, or registered but unusable (its image missing, the agent unable to run in it).
                await ExplainUnofferedTemplateAsync(template, options.Template);
                throw;
            }

            var id = SandboxIds.New(node.Node);
            LogPlaced(id, node.Node, node.ActiveSandboxes);
            try
            {
                return await GrainFactory.GetGrain<ISandboxGrain>(id).CreateAsync(options with { Template = template }, cancellationToken);
            }
            catch (NodeDrainingException) when (draining.Count < MaxReplacements)
            {
                // The node began draining after our last load report and refused before starting anything: place
                // the sandbox elsewhere, and drop the cached loads so the next create sees the drain too.
                LogReplaced(id, node.Node);
                draining.Add(node.Node);
                _loads = null;
            }
            catch (Exception e) when ((e is SiloUnavailableException or OrleansMessageRejectionException or NoCapacityException
                || e is OperationCanceledException && !cancellationToken.IsCancellationRequested) && attempt < MaxPlacements)
            {
                // An OperationCanceledException the caller did not ask for is Orleans failing to address the new id: its
                // grain directory range belonged to a silo that just died and has no owner yet (the message was never
                // sent). Another id, in all likelihood in another range, gets through.
                // The node died since its load was read (loads are cached briefly; membership takes seconds to say so),
                // the grain directory was between owners, or the node lost its engine or filled up: nothing was
                // created, so place again from fresh loads (a dead node does not answer for its load and drops out,
                // a node without an engine offers no template).
                LogNodeSilent(node.Node, e.Message);
                _loads = null;
            }
        }
    }

    public async Task<string> PickExecutionNodeAsync(string language)
    {
        var normalized = Languages.Normalize(language)
            ?? throw new SandboxValidationException("language", $"Unknown language '{language}'; known languages: {string.Join(", ", Languages.All)}.");
        return (await PickNodeAsync(Languages.DefaultTemplate(normalized), forSandbox: false, [])).Node;
    }

    public async Task<string> PickExecutionNodeExcludingAsync(string language, string[] excludedNodes)
    {
        var normalized = Languages.Normalize(language)
            ?? throw new SandboxValidationException("language", $"Unknown language '{language}'; known languages: {string.Join(", ", Languages.All)}.");
        _loads = null;
        return (await PickNodeAsync(Languages.DefaultTemplate(normalized), forSandbox: false, excludedNodes)).Node;
    }

    public async Task<SandboxInfo[]> ListSandboxesAsync(Dictionary<string, string>? metadata, string? tenant)
    {
        var nodes = await GetNodesAsync();
        var lists = await Task.WhenAll(nodes.Select(n => GrainFactory.GetGrain<INodeGrain>(n.Node).ListSandboxesAsync(metadata, tenant)));
        return [.. lists.SelectMany(l => l).OrderBy(s => s.CreatedAt)];
    }

    public async Task<TemplateInfo[]> GetTemplatesAsync()
    {
        var nodes = await GetNodesAsync();
        var lists = await Task.WhenAll(nodes.Select(n => GrainFactory.GetGrain<INodeGrain>(n.Node).GetTemplatesAsync()));
        // A template available on one node and not on another (its image built on one only) is listed as available.
        return [.. lists.SelectMany(l => l).GroupBy(t => t.Name).Select(g => g.FirstOrDefault(t => t.Available) ?? g.First()).OrderBy(t => t.Name, StringComparer.Ordinal)];
    }

    /// <summary>Throws the reason no node offers <paramref name="template"/> when the nodes list it as unavailable, or
    /// that it is unknown when none lists it; returns when some node lists it as available (it is full, or just became
    /// available): the caller's own capacity error then stands.</summary>
    private async Task ExplainUnofferedTemplateAsync(string template, string? asked)
    {
        var listed = await GetTemplatesAsync();
        if (listed.FirstOrDefault(t => t.Name == template) is not { } info)
        {
            throw new SandboxValidationException("template", $"Unknown template '{asked}'; known templates: {string.Join(", ", listed.Select(t => t.Name))}.");
        }

        if (!info.Available)
        {
            throw new SandboxValidationException("template", info.UnavailableReason ?? $"Template '{template}' is not available on any node.");
        }
    }

    private async Task<IEnumerable<string>> KnownTemplatesAsync() => (await GetTemplatesAsync()).Select(t => t.Name).Union(Templates.All).Order(StringComparer.Ordinal);

    public async Task<NodeLoad[]> GetNodesAsync()
    {
        // A silo that joined (or left) since the last read makes the cached loads wrong at once, not 500 ms later.
        var snapshot = membership.CurrentSnapshot;
        if (_loads is { } cached && snapshot.Version == _loadsMembership && Environment.TickCount64 - _loadsAt < LoadCacheLifetime.TotalMilliseconds)
        {
            return cached;
        }

        var names = snapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active && SandboxIds.IsValidNodeName(m.Name))
            .Select(m => m.Name)
            .Distinct()
            .Where(name => !_silent.TryGetValue(name, out var silent)
                || silent.Membership != snapshot.Version
                || Environment.TickCount64 - silent.At >= SilentNodeSkip.TotalMilliseconds);
        var answers = await Task.WhenAll(names.Select(name => AskAsync(name, snapshot.Version)));
        _loadsAt = Environment.TickCount64;
        _loadsMembership = snapshot.Version;
        return _loads = [.. answers.OfType<NodeLoad>()];
    }

    private async Task<NodeLoad?> AskAsync(string node, MembershipVersion membershipVersion)
    {
        try
        {
            var load = await GrainFactory.GetGrain<INodeGrain>(node).GetLoadAsync().WaitAsync(NodeAnswerTimeout);
            _silent.Remove(node);
            return load;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // One node failing to answer (dead, slow, or an error of its own) must not fail placement on all the others.
            if (e is TimeoutException or SiloUnavailableException or OrleansMessageRejectionException)
            {
                _silent[node] = (membershipVersion, Environment.TickCount64);
            }

            LogNodeSilent(node, e.Message);
            return null;
        }
    }

    private async Task<NodeLoad> PickNodeAsync(string template, bool forSandbox, IReadOnlyCollection<string> excluded)
    {
        var candidates = NodePicker.Candidates(await GetNodesAsync(), template, forSandbox, excluded);
        var chosen = forSandbox ? NodePicker.Pick(candidates, Random.Shared) : NodePicker.PickForExecution(candidates, Random.Shared);
        if (_loads is not null)
        {
            // Count the new work now so a burst spreads in proportion to the nodes' sizes before the next refresh.
            _loads = [.. _loads.Select(n => n.Node != chosen.Node ? n
                : forSandbox ? n with { ActiveSandboxes = n.ActiveSandboxes + 1 }
                : n with { RunningExecutions = n.RunningExecutions + 1 })];
        }

        return chosen;
    }

    [LoggerMessage(1, LogLevel.Debug, "Placing sandbox {SandboxId} on node {Node} ({ActiveSandboxes} active)")]
    private partial void LogPlaced(string sandboxId, string node, int activeSandboxes);

    [LoggerMessage(2, LogLevel.Debug, "Node {Node} did not answer: {Reason}")]
    private partial void LogNodeSilent(string node, string reason);

    [LoggerMessage(3, LogLevel.Information, "Node {Node} is draining; placing sandbox {SandboxId} again elsewhere")]
    private partial void LogReplaced(string sandboxId, string node);
}
