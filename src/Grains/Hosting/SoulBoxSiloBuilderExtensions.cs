using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Connections.Security;
using Orleans.Metadata;
using SoulBox.Grains.Compilation;
using SoulBox.Grains.Containers;
using SoulBox.Grains.Execution;
using SoulBox.Grains.Nodes;
using SoulBox.Grains.Placement;
using SoulBox.Grains.Pool;
using SoulBox.Grains.Reaping;
using SoulBox.Grains.Sandboxes;
using SoulBox.Grains.State;
using SoulBox.Grains.Telemetry;
using SoulBox.Security;

namespace SoulBox.Grains.Hosting;

public static class SoulBoxSiloBuilderExtensions
{
    /// <summary>Grain addresses each silo caches. Orleans' default (1,000,000) is allocated up front: its caches are
    /// dictionaries created with that capacity, 2 × 9.3 MB of bucket arrays on an idle node (measured with dotnet-dump).
    /// A SoulBox cluster holds about MaxSandboxesPerNode (default 100) sandbox grains per worker plus a few per node,
    /// so 100,000 covers clusters of hundreds of nodes; past it, a call to an evicted grain costs one directory
    /// lookup, not an error.</summary>
    public const int DirectoryCacheSize = 100_000;

    /// <summary>What every SoulBox silo needs, worker or not: node-pinned placement (placement runs on the
    /// calling silo) and SoulBox's meter.</summary>
    public static ISiloBuilder AddSoulBoxCore(this ISiloBuilder silo)
    {
        silo.Services.AddPlacementDirector<NodePinnedPlacement, NodePinnedPlacementDirector>();
        // The default directory deactivates every grain whose entry lived on a silo that leaves, wherever the grain
        // runs: a gateway's restart would end sandboxes on the workers, and a kill -9 of one worker ended the other
        // workers' sandboxes whose ids hashed to its partition. This one hands its range over, or recovers it from
        // every silo after a crash, so a silo's death loses only its own sandboxes.
#pragma warning disable ORLEANSEXP003
        silo.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
        // Runs may last up to SandboxOptions.MaxRunTimeoutMs (10 min); Orleans' default 30 s would cut them off.
        silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = SoulBoxCluster.CallTimeout);
        silo.Configure<GrainDirectoryOptions>(o => o.CacheSize = DirectoryCacheSize);
        silo.AddOutgoingGrainCallFilter<SandboxLossFilter>();
        silo.Services.TryAddSingleton(TimeProvider.System);
        silo.Services.AddMetrics();
        silo.Services.TryAddSingleton<SoulBoxMetrics>();
        silo.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ILifecycleParticipant<ISiloLifecycle>, MembershipChanges>());
        silo.AddSoulBoxClusterState();
        return silo;
    }

    /// <summary>The cluster state every silo reads and survivors write (options "SoulBox:State"): in memory unless a
    /// store was chosen (the host's <c>UseRedisClusterState</c> when SoulBox:Redis is set), the ordered background
    /// writer, and the dead-node watcher with its state handler (the node's live sandboxes become "lost"). Other
    /// features add an <see cref="IDeadNodeHandler"/> to be called too.</summary>
    public static ISiloBuilder AddSoulBoxClusterState(this ISiloBuilder silo)
    {
        var services = silo.Services;
        if (services.Any(d => d.ServiceType == typeof(ClusterStateRecorder)))
        {
            return silo;
        }

        services.AddOptions<ClusterStateOptions>().BindConfiguration(ClusterStateOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ClusterStateOptions>, OptionsValidator<ClusterStateOptions>>(_ => new(o => o.Validate()));
        services.TryAddSingleton<IClusterStateStore, InMemoryClusterStateStore>();
        services.AddSingleton<ClusterStateRecorder>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<ClusterStateRecorder>());
        services.AddSingleton<IDeadNodeHandler, LostSandboxMarker>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, DeadNodeWatcher>();
        return silo;
    }

    /// <summary>Makes this silo a worker node: it hosts sandboxes in containers on its local Docker engine.
    /// Options come from the "SoulBox:Sandbox" and "SoulBox:Docker" sections and are validated at start-up.</summary>
    public static ISiloBuilder AddSoulBoxWorker(this ISiloBuilder silo, IConfiguration configuration)
    {
        silo.AddSoulBoxCore();
        var services = silo.Services;
        services.AddOptions<SandboxOptions>().Bind(configuration.GetSection(SandboxOptions.SectionName)).ValidateOnStart();
        services.AddOptions<ContainerRuntimeOptions>().Bind(configuration.GetSection(ContainerRuntimeOptions.SectionName))
            .PostConfigure(o => o.AgentDirectory ??= AgentArtifacts.Find())
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<SandboxOptions>, OptionsValidator<SandboxOptions>>(_ => new(o => o.Validate()));
        services.AddOptions<Processes.ProcessOptions>().Bind(configuration.GetSection(Processes.ProcessOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<Processes.ProcessOptions>, OptionsValidator<Processes.ProcessOptions>>(_ => new(o => o.Validate()));
        services.AddSingleton<IValidateOptions<ContainerRuntimeOptions>, OptionsValidator<ContainerRuntimeOptions>>(_ => new(o => o.Validate()));
        services.AddOptions<PoolOptions>().Bind(configuration.GetSection(PoolOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PoolOptions>, OptionsValidator<PoolOptions>>(_ => new(o => o.Validate()));
        services.AddOptions<ReaperOptions>().Bind(configuration.GetSection(ReaperOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ReaperOptions>, OptionsValidator<ReaperOptions>>(_ => new(o => o.Validate()));
        services.AddOptions<CompileCacheOptions>().Bind(configuration.GetSection(CompileCacheOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CompileCacheOptions>, OptionsValidator<CompileCacheOptions>>(_ => new(o => o.Validate()));
        services.AddOptions<BatchInputOptions>().Bind(configuration.GetSection(BatchInputOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<BatchInputOptions>, OptionsValidator<BatchInputOptions>>(_ => new(o => o.Validate()));
        services.AddOptions<DrainOptions>().Bind(configuration.GetSection(DrainOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DrainOptions>, OptionsValidator<DrainOptions>>(_ => new(o => o.Validate()));
        // One subsection per template name, bound into the dictionary (the section itself has no other settings).
        services.AddOptions<CustomTemplatesOptions>().Configure(o => configuration.GetSection(CustomTemplatesOptions.SectionName).Bind(o.Templates)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CustomTemplatesOptions>>(sp => new OptionsValidator<CustomTemplatesOptions>(
            o => o.Validate(sp.GetRequiredService<IOptions<SandboxOptions>>().Value, sp.GetRequiredService<IOptions<PoolOptions>>().Value)));
        services.AddSingleton<TemplateDefinitions>();
        // The shutdown drain runs inside the host's stop, which gives up after ShutdownTimeout (30 s by default).
        services.AddOptions<HostOptions>().Configure<IOptions<DrainOptions>>((host, drain) =>
        {
            var needed = TimeSpan.FromSeconds(drain.Value.DeadlineSeconds + DrainOptions.ShutdownMarginSeconds);
            if (host.ShutdownTimeout != Timeout.InfiniteTimeSpan && host.ShutdownTimeout < needed)
            {
                host.ShutdownTimeout = needed;
            }
        });

        services.AddSingleton(sp => new NodeIdentity(NodeNameOf(sp.GetRequiredService<IOptions<SiloOptions>>().Value)));
        services.AddSingleton(sp => new ContainerOwner(
            sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ClusterId,
            sp.GetRequiredService<NodeIdentity>().Name,
            sp.GetRequiredService<ILocalSiloDetails>().SiloAddress));
        services.AddSingleton<IContainerRuntime, DockerContainerRuntime>();
        services.AddSingleton<SandboxRegistry>();
        services.AddSingleton<ContainerStarts>();
        services.AddSingleton<WorkerReadiness>();
        services.AddSingleton<NodeDrain>();
        services.AddSingleton<NodeDrainer>();
        services.AddHostedService(sp => sp.GetRequiredService<NodeDrainer>());
        services.AddSingleton<CompileCache>();
        services.AddSingleton<BatchInputStore>();
        services.AddSingleton<ExecutorPool>();
        services.TryAddSingleton<RetainedOutputBudget>();
        services.AddSingleton<TemplateCatalog>();
        services.AddSingleton<WarmContainerPool>();
        services.AddSingleton<DemandPredictor>();
        services.AddSingleton<ContainerReaper>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<ContainerReaper>());
        services.AddSingleton<IDeadNodeHandler>(sp => sp.GetRequiredService<ContainerReaper>());
        services.AddSingleton<SandboxLedger>();
        services.AddSingleton<DemandProfileKeeper>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<DemandProfileKeeper>());
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, NodeRestartMarker>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, OrphanReaper>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, PoolStarter>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, NodeGauges>();
        services.Configure<GrainCollectionOptions>(o =>
        {
            // A sandbox grain lives exactly as long as its container; it ends itself (kill, expiry, loss).
            o.ClassSpecificCollectionAge[typeof(SandboxGrain).FullName!] = TimeSpan.FromDays(7);
        });
        return silo;
    }

    /// <summary>TLS on both Orleans ports (silo-to-silo and the client gateway) with a certificate required from every
    /// peer and checked by <paramref name="tls"/> (the cluster's CA or pinned thumbprints): a caller without one of the
    /// cluster's certificates cannot open a connection, let alone call a grain.</summary>
    public static ISiloBuilder UseSoulBoxTls(this ISiloBuilder silo, ClusterTls tls)
    {
        ArgumentNullException.ThrowIfNull(tls.Certificate);
        return silo.UseTls(tls.Certificate, o =>
        {
            o.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
            o.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
            o.RemoteCertificateValidation = (certificate, chain, _) => tls.IsTrusted(certificate, chain);
            o.HandshakeTimeout = tls.HandshakeTimeout;
        });
    }

    /// <summary>A silo that is not a worker hosts no sandbox or node grains (and needs no Docker).</summary>
    public static ISiloBuilder ExcludeSoulBoxWorkerGrains(this ISiloBuilder silo)
    {
        silo.AddSoulBoxCore();
        silo.Services.PostConfigure<GrainTypeOptions>(o =>
        {
            o.Classes.Remove(typeof(SandboxGrain));
            o.Classes.Remove(typeof(NodeGrain));
            o.Classes.Remove(typeof(PoolManagerGrain));
        });
        return silo;
    }

    private static string NodeNameOf(SiloOptions options)
    {
        var name = options.SiloName ?? "";
        if (!SandboxIds.IsValidNodeName(name))
        {
            throw new OptionsValidationException("SoulBox:NodeName", typeof(SiloOptions),
                [$"Node name '{name}' must be 1-64 letters, digits, '-' or '_' (it prefixes sandbox ids)."]);
        }

        return name;
    }
}

/// <summary>Validates options with the options class's own Validate method, naming each bad setting.</summary>
internal sealed class OptionsValidator<T>(Func<T, IEnumerable<string>> validate) : IValidateOptions<T>
    where T : class
{
    public ValidateOptionsResult Validate(string? name, T options)
    {
        var failures = validate(options).ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
