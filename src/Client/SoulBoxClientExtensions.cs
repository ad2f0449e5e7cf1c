using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Connections.Security;
using Orleans.Hosting;
using SoulBox.Security;

namespace SoulBox.Client;

/// <summary>Registers <see cref="ISoulBoxClient"/> in an app's services.</summary>
public static class SoulBoxClientExtensions
{
    /// <summary>Adds <see cref="ISoulBoxClient"/> over the IClusterClient already registered (for example in a silo,
    /// or in an app that configured UseOrleansClient itself).</summary>
    public static IServiceCollection AddSoulBoxClient(this IServiceCollection services)
    {
        services.AddOptions();
        services.TryAddSingleton<ISoulBoxClient, SoulBoxClient>();
        return services;
    }

    /// <summary>Connects this app to a SoulBox cluster (local node, or Redis clustering) and adds
    /// <see cref="ISoulBoxClient"/>. Settings come from "SoulBox:Client", then <paramref name="configure"/>.</summary>
    public static IHostApplicationBuilder AddSoulBoxClient(this IHostApplicationBuilder builder, Action<SoulBoxClientOptions>? configure = null)
    {
        var options = new SoulBoxClientOptions();
        builder.Configuration.GetSection(SoulBoxClientOptions.SectionName).Bind(options);
        configure?.Invoke(options);
        // Loaded now, so an unreadable or unsuitable certificate stops start-up with the setting's name.
        var tls = options.Tls.Enabled ? ClusterTls.Load(options.Tls, SoulBoxClientOptions.SectionName + ":Tls", silo: false) : null;
        builder.UseOrleansClient(client =>
        {
            if (tls is not null)
            {
                client.UseTls(o =>
                {
                    o.LocalCertificate = tls.Certificate;
                    o.ClientCertificateMode = tls.Certificate is null ? RemoteCertificateMode.NoCertificate : RemoteCertificateMode.RequireCertificate;
                    o.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
                    o.RemoteCertificateValidation = (certificate, chain, _) => tls.IsTrusted(certificate, chain);
                    o.HandshakeTimeout = tls.HandshakeTimeout;
                });
            }

            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = SoulBoxCluster.CallTimeout);
            client.AddOutgoingGrainCallFilter<SoulBox.Grains.SandboxLossFilter>();
            if (options.Redis is { Length: > 0 } redis)
            {
                client.UseRedisClustering(redis);
                client.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = options.ClusterId;
                    o.ServiceId = options.ServiceId;
                });
            }
            else
            {
                client.UseLocalhostClustering(options.GatewayPort, options.ServiceId, options.ClusterId);
            }
        });
        builder.Services.AddSoulBoxClient();
        builder.Services.Configure<SoulBoxClientOptions>(o => o.Tenant = options.Tenant);
        return builder;
    }
}
