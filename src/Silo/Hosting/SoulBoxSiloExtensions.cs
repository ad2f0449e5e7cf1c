using System.Net;
using Orleans.Configuration;
using Orleans.Dashboard;
using SoulBox.Client;
using SoulBox.Grains.Hosting;
using SoulBox.Security;
using SoulBox.Silo.State;

namespace SoulBox.Silo.Hosting;

public static class SoulBoxSiloExtensions
{
    /// <summary>Hosts an Orleans silo playing this node's roles: localhost clustering for a single node,
    /// Redis clustering when SoulBox:Redis is set, TLS with client certificates on both Orleans ports when SoulBox:Tls is. Bad settings stop the process with a message naming them.</summary>
    public static IHostApplicationBuilder AddSoulBoxSilo(this IHostApplicationBuilder builder)
    {
        var options = new SoulBoxNodeOptions();
        builder.Configuration.GetSection(SoulBoxNodeOptions.SectionName).Bind(options);
        var membership = new MembershipTimingOptions();
        builder.Configuration.GetSection(MembershipTimingOptions.SectionName).Bind(membership);
        var problems = options.Validate().Concat(membership.Validate()).ToList();
        if (problems.Count > 0)
        {
            throw new InvalidOperationException("Invalid SoulBox configuration: " + string.Join(" ", problems));
        }

        var tlsOptions = new ClusterTlsOptions();
        builder.Configuration.GetSection(SoulBoxNodeOptions.TlsSectionName).Bind(tlsOptions);
        var tls = tlsOptions.Enabled ? ClusterTls.Load(tlsOptions, SoulBoxNodeOptions.TlsSectionName, silo: true) : null;
        builder.Services.AddSingleton(options);
        builder.UseOrleans(silo =>
        {
            if (tls is not null)
            {
                silo.UseSoulBoxTls(tls);
            }

            if (options.Redis is { Length: > 0 } redis)
            {
                silo.UseRedisClustering(redis);
                silo.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = options.ClusterId;
                    o.ServiceId = SoulBoxCluster.ServiceId;
                });
                silo.Configure<ClusterMembershipOptions>(membership.ApplyTo);
                silo.ConfigureEndpoints(IPAddress.Parse(options.AdvertisedAddress), options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: false);
            }
            else
            {
                silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, serviceId: SoulBoxCluster.ServiceId, clusterId: options.ClusterId);
            }

            silo.Configure<SiloOptions>(o => o.SiloName = options.ResolvedNodeName);
            silo.AddActivityPropagation();
            // Every role, workers too: the gateway's /dashboard lists all silos from membership, but each silo's own
            // page (statistics, properties, grain calls) is answered by the dashboard's grain service on that silo.
            silo.AddDashboard();
            if (options.IsWorker)
            {
                silo.AddSoulBoxWorker(builder.Configuration);
            }
            else
            {
                silo.ExcludeSoulBoxWorkerGrains();
            }

            if (options.Redis is { Length: > 0 } stateRedis)
            {
                silo.UseRedisClusterState(stateRedis);
            }
        });
        builder.Services.AddSoulBoxClient();
        builder.Services.AddHostedService<NodeBanner>();
        return builder;
    }
}
