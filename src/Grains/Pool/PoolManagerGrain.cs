using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using SoulBox.Grains.Hosting;
using SoulBox.Grains.Nodes;
using SoulBox.Grains.Placement;

namespace SoulBox.Grains.Pool;

/// <summary>Plans this node's warm pool every <see cref="PoolOptions.IntervalMs"/>: per template, the demand
/// predictor's target, scaled down to fit the node's total budget, then the pool fills or shrinks to it.</summary>
[NodePinnedPlacement, Reentrant]
internal sealed partial class PoolManagerGrain(
    NodeIdentity node,
    WarmContainerPool pool,
    DemandPredictor predictor,
    TemplateCatalog catalog,
    NodeDrain drain,
    TemplateDefinitions definitions,
    IOptions<PoolOptions> options,
    ILogger<PoolManagerGrain> logger) : Grain, IPoolManagerGrain
{
    private readonly PoolOptions _options = options.Value;
    private IGrainTimer? _timer;
    private Dictionary<string, int> _targets = [];
    private Task _planning = Task.CompletedTask;

    public Task StartAsync()
    {
        if (this.GetPrimaryKeyString() != node.Name || !_options.Enabled || _timer is not null)
        {
            return Task.CompletedTask;
        }

        _timer = this.RegisterGrainTimer(PlanAsync, new GrainTimerCreationOptions(TimeSpan.Zero, TimeSpan.FromMilliseconds(_options.IntervalMs)) { KeepAlive = true, Interleave = true });
        LogStarted(node.Name);
        return Task.CompletedTask;
    }

    public Task<PoolStatus[]> GetStatusAsync() => Task.FromResult(_targets.Select(t => new PoolStatus
    {
        Template = t.Key,
        Target = t.Value,
        Warm = pool.Idle(t.Key),
        Starting = pool.Starting(t.Key),
        PredictedPerSecond = predictor.RatePerSecond(t.Key),
    }).OrderBy(s => s.Template, StringComparer.Ordinal).ToArray());

    private async Task PlanAsync(CancellationToken cancellationToken)
    {
        // Filling can outlast a tick (container starts); never stack plans on top of each other.
        if (!_planning.IsCompleted)
        {
            return;
        }

        var present = await catalog.GetAsync(cancellationToken);
        var (imageIds, askedAt) = await catalog.GetImageIdsAsync(cancellationToken);
        foreach (var (template, imageId) in imageIds)
        {
            pool.ObserveImage(template, imageId, askedAt);
        }

        var templates = _options.Templates.Length > 0 ? _options.Templates.Where(present.ContainsKey) : present.Keys;
        var horizon = TimeSpan.FromSeconds(_options.HorizonSeconds);
        // A draining node takes no new sandboxes: its pool stops refilling and its warm containers go.
        var targets = templates.ToDictionary(t => t, t => drain.IsDraining ? 0 : predictor.Target(t, horizon, MinWarm(t), _options.MaxWarmPerTemplate));
        var total = targets.Values.Sum();
        if (total > _options.MaxWarmTotal && total > 0)
        {
            var scale = (double)_options.MaxWarmTotal / total;
            targets = targets.ToDictionary(t => t.Key, t => (int)Math.Floor(t.Value * scale));
        }

        _targets = targets;
        _planning = Task.WhenAll(targets.Select(t => pool.FillAsync(t.Key, t.Value)));
    }

    /// <summary>Warm containers kept with no demand: a registered template's own minimum; none for a language template
    /// (C, Rust, Ruby, ...) not listed in SoulBox:Pool:Templates, so a node with every language image does not hold a
    /// dozen idle containers for rarely used languages (demand, through the predictor, still warms them);
    /// SoulBox:Pool:MinWarmPerTemplate for the others.</summary>
    private int MinWarm(string template) =>
        definitions.Find(template)?.MinWarm
        ?? (Templates.Optional.Contains(template) && !_options.Templates.Contains(template) ? 0 : _options.MinWarmPerTemplate);

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _timer?.Dispose();
        return Task.CompletedTask;
    }

    [LoggerMessage(1, LogLevel.Information, "Warm pool of node {Node} started")]
    private partial void LogStarted(string node);
}
