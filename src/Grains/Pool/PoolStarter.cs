using SoulBox.Grains.Hosting;

namespace SoulBox.Grains.Pool;

/// <summary>Starts this node's pool manager once the silo is active, and empties the pool on shutdown.</summary>
internal sealed class PoolStarter(IGrainFactory grains, NodeIdentity node, WarmContainerPool pool) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(PoolStarter), ServiceLifecycleStage.Active, _ => grains.GetGrain<IPoolManagerGrain>(node.Name).StartAsync(), async _ => await pool.DisposeAsync());
}
