using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SoulBox.Grains.Hosting;
using SoulBox.Grains.State;

namespace SoulBox.Silo.State;

public static class RedisClusterStateExtensions
{
    /// <summary>Keeps the cluster state (ended sandboxes, tenants, live sandboxes per node, demand profiles) in Redis,
    /// so it outlives every silo: the store of a cluster (SoulBox:Redis).</summary>
    public static ISiloBuilder UseRedisClusterState(this ISiloBuilder silo, string redis)
    {
        silo.AddSoulBoxClusterState();
        silo.Services.RemoveAll<IClusterStateStore>();
        silo.Services.AddSingleton<IClusterStateStore>(sp =>
            new RedisClusterStateStore(redis, sp.GetRequiredService<IOptions<ClusterStateOptions>>(), sp.GetRequiredService<TimeProvider>()));
        return silo;
    }
}
