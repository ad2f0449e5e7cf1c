using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using SoulBox.Grains.Pool;
using SoulBox.Grains.Sandboxes;
using SoulBox.Grains.State;
using StackExchange.Redis;

namespace SoulBox.Silo.State;

/// <summary>The cluster state in Redis (SoulBox:Redis), under <see cref="ClusterStateOptions.KeyPrefix"/> (p):
/// <list type="bullet">
/// <item><c>p sandbox:{id}</c> — hash: node, gen (silo generation), tenant ("" for the .NET client's default tenant),
/// expires; once ended also how (killed|expired|lost), at (Unix ms), reason. TTL: its expiry plus the retention while
/// live, the retention (<see cref="ClusterStateOptions.EndedRetentionHours"/>) once ended.</item>
/// <item><c>p node:{node}:live</c> — hash: id → gen of every live sandbox of the node (no TTL: entries leave when the
/// sandbox ends or its node is marked lost).</item>
/// <item><c>p node:{node}:demand</c> — the node's demand profile as JSON; TTL 30 days, renewed by every save.</item>
/// </list>
/// Every change of one sandbox is one Lua script, so a "live" never overwrites an "ended". Connects lazily and never
/// aborts on a failed connect: a Redis that is away fails the call (the recorder retries), not the node.</summary>
internal sealed class RedisClusterStateStore(string redis, IOptions<ClusterStateOptions> options, TimeProvider time) : IClusterStateStore, IAsyncDisposable
{
    public static readonly TimeSpan DemandRetention = TimeSpan.FromDays(30);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private const string LiveScript = """
        if redis.call('HEXISTS', KEYS[1], 'how') == 1 then return 0 end
        redis.call('HSET', KEYS[1], 'node', ARGV[1], 'gen', ARGV[2], 'tenant', ARGV[3], 'expires', ARGV[4])
        redis.call('PEXPIRE', KEYS[1], ARGV[5])
        redis.call('HSET', KEYS[2], ARGV[6], ARGV[2])
        return 1
        """;

    private const string EndedScript = """
        redis.call('HSET', KEYS[1], 'node', ARGV[1], 'gen', ARGV[2], 'tenant', ARGV[3], 'expires', ARGV[4], 'how', ARGV[5], 'at', ARGV[6], 'reason', ARGV[7])
        redis.call('PEXPIRE', KEYS[1], ARGV[8])
        redis.call('HDEL', KEYS[2], ARGV[9])
        return 1
        """;

    private const string LostScript = """
        local marked = 0
        if redis.call('EXISTS', KEYS[1]) == 1 and redis.call('HEXISTS', KEYS[1], 'how') == 0 then
          redis.call('HSET', KEYS[1], 'how', 'lost', 'at', ARGV[2], 'reason', ARGV[3])
          redis.call('PEXPIRE', KEYS[1], ARGV[4])
          marked = 1
        end
        redis.call('HDEL', KEYS[2], ARGV[1])
        return marked
        """;

    private readonly ClusterStateOptions _options = options.Value;
    private readonly SemaphoreSlim _connecting = new(1, 1);
    private ConnectionMultiplexer? _connection;

    public bool IsDurable => true;

    public async Task SandboxLiveAsync(StoredSandbox sandbox, CancellationToken cancellationToken = default)
    {
        var ttl = sandbox.ExpiresAt - time.GetUtcNow() + _options.EndedRetention;
        var db = await DatabaseAsync(cancellationToken);
        await db.ScriptEvaluateAsync(LiveScript, [SandboxKey(sandbox.Id), LiveKey(sandbox.Node)],
        [
            sandbox.Node, sandbox.Generation, sandbox.Tenant ?? "", sandbox.ExpiresAt.ToUnixTimeMilliseconds(),
            Milliseconds(ttl), sandbox.Id,
        ]);
    }

    public async Task SandboxEndedAsync(StoredSandbox sandbox, CancellationToken cancellationToken = default)
    {
        var ended = sandbox.Ended ?? throw new ArgumentException("An ended sandbox needs its end.", nameof(sandbox));
        var ttl = ended.At - time.GetUtcNow() + _options.EndedRetention;
        var db = await DatabaseAsync(cancellationToken);
        await db.ScriptEvaluateAsync(EndedScript, [SandboxKey(sandbox.Id), LiveKey(sandbox.Node)],
        [
            sandbox.Node, sandbox.Generation, sandbox.Tenant ?? "", sandbox.ExpiresAt.ToUnixTimeMilliseconds(),
            HowOf(ended.How), ended.At.ToUnixTimeMilliseconds(), ended.Reason, Milliseconds(ttl), sandbox.Id,
        ]);
    }

    public async Task<StoredSandbox?> FindSandboxAsync(string sandboxId, CancellationToken cancellationToken = default)
    {
        var db = await DatabaseAsync(cancellationToken);
        var fields = (await db.HashGetAllAsync(SandboxKey(sandboxId))).ToDictionary(f => f.Name.ToString(), f => f.Value.ToString());
        if (!fields.TryGetValue("node", out var node) || !int.TryParse(fields.GetValueOrDefault("gen"), CultureInfo.InvariantCulture, out var generation))
        {
            return null;
        }

        var tenant = fields.GetValueOrDefault("tenant");
        EndedSandbox? ended = null;
        if (fields.TryGetValue("how", out var how) && ParseHow(how) is { } end)
        {
            ended = new EndedSandbox(end, UnixMs(fields.GetValueOrDefault("at")), fields.GetValueOrDefault("reason") ?? "");
        }

        return new StoredSandbox(sandboxId, node, generation, string.IsNullOrEmpty(tenant) ? null : tenant, UnixMs(fields.GetValueOrDefault("expires")), ended);
    }

    public async Task<int> MarkNodeLostAsync(string node, int upToGeneration, string reason, CancellationToken cancellationToken = default)
    {
        var db = await DatabaseAsync(cancellationToken);
        var at = time.GetUtcNow().ToUnixTimeMilliseconds();
        var ttl = Milliseconds(_options.EndedRetention);
        var marked = 0;
        foreach (var entry in await db.HashGetAllAsync(LiveKey(node)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!int.TryParse(entry.Value.ToString(), CultureInfo.InvariantCulture, out var generation) || generation > upToGeneration)
            {
                continue;
            }

            var id = entry.Name.ToString();
            marked += (int)await db.ScriptEvaluateAsync(LostScript, [SandboxKey(id), LiveKey(node)], [id, at, reason, ttl]);
        }

        return marked;
    }

    public async Task SaveDemandProfileAsync(string node, DemandProfile profile, CancellationToken cancellationToken = default)
    {
        var db = await DatabaseAsync(cancellationToken);
        await db.StringSetAsync(DemandKey(node), JsonSerializer.Serialize(profile, Json), DemandRetention);
    }

    public async Task<DemandProfile?> LoadDemandProfileAsync(string node, CancellationToken cancellationToken = default)
    {
        var db = await DatabaseAsync(cancellationToken);
        var value = await db.StringGetAsync(DemandKey(node));
        return value.HasValue ? JsonSerializer.Deserialize<DemandProfile>(value.ToString(), Json) : null;
    }

    public string SandboxKey(string sandboxId) => $"{_options.KeyPrefix}sandbox:{sandboxId}";

    public string LiveKey(string node) => $"{_options.KeyPrefix}node:{node}:live";

    public string DemandKey(string node) => $"{_options.KeyPrefix}node:{node}:demand";

    private async Task<IDatabase> DatabaseAsync(CancellationToken cancellationToken)
    {
        if (_connection is { } connected)
        {
            return connected.GetDatabase();
        }

        await _connecting.WaitAsync(cancellationToken);
        try
        {
            if (_connection is null)
            {
                var configuration = ConfigurationOptions.Parse(redis);
                // Start (and keep reconnecting) with Redis away: the node must come up, and calls fail until it is back.
                configuration.AbortOnConnectFail = false;
                _connection = await ConnectionMultiplexer.ConnectAsync(configuration);
            }

            return _connection.GetDatabase();
        }
        finally
        {
            _connecting.Release();
        }
    }

    private static long Milliseconds(TimeSpan ttl) => Math.Max(1000, (long)ttl.TotalMilliseconds);

    private static DateTimeOffset UnixMs(string? value) =>
        long.TryParse(value, CultureInfo.InvariantCulture, out var ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : DateTimeOffset.UnixEpoch;

    private static string HowOf(SandboxEnd how) => how switch
    {
        SandboxEnd.Killed => "killed",
        SandboxEnd.Expired => "expired",
        SandboxEnd.Drained => "drained",
        _ => "lost",
    };

    private static SandboxEnd? ParseHow(string how) => how switch
    {
        "killed" => SandboxEnd.Killed,
        "expired" => SandboxEnd.Expired,
        "lost" => SandboxEnd.Lost,
        "drained" => SandboxEnd.Drained,
        _ => null,
    };

    public async ValueTask DisposeAsync()
    {
        if (_connection is { } connection)
        {
            await connection.DisposeAsync();
        }

        _connecting.Dispose();
    }
}
