using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Runtime.Messaging;
using SoulBox.Grains;
using SoulBox.Security;

namespace SoulBox.Client.Tests;

/// <summary>Two worker silos that require TLS with the cluster's certificates on both Orleans ports (found through a
/// real Redis, as separate hosts would be), and clients with the right certificate, none, or another CA's.</summary>
public sealed class TlsTests(TlsClusterFixture cluster) : IClassFixture<TlsClusterFixture>
{
    private readonly TestPki _pki = cluster.Pki;
    private readonly TestPki _rogue = cluster.Rogue;
    private readonly string _clusterId = cluster.ClusterId;

    private static string Redis => TlsClusterFixture.Redis;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AClientWithTheClustersCertificate_CallsGrainsOnBothSilos(bool pem)
    {
        using var client = Client(new ClusterTlsOptions
        {
            CertificatePath = _pki.Issue("client", silo: false, pem),
            Password = pem ? null : TestPki.Password,
            CaCertificatePath = _pki.CaPemPath,
        });
        await client.StartAsync().WaitAsync(TimeSpan.FromSeconds(60));
        try
        {
            // The factory on the gateway silo asks each silo's node grain: a silo-to-silo call over TLS.
            var nodes = await client.Services.GetRequiredService<IClusterClient>().GetGrain<ISandboxFactoryGrain>(0).GetNodesAsync();
            Assert.Equal(2, nodes.Length);
            var templates = await client.Services.GetRequiredService<ISoulBoxClient>().GetTemplatesAsync();
            Assert.Contains(templates, t => t.Name == Templates.Python);
        }
        finally
        {
            await client.StopAsync();
        }
    }

    [Fact]
    public async Task AClientWithoutTls_CannotCallGrains()
    {
        using var client = Client(new ClusterTlsOptions());
        await AssertCannotStartAsync(client);
    }

    [Fact]
    public async Task AClientWithoutACertificate_CannotCallGrains()
    {
        using var client = Client(new ClusterTlsOptions { CaCertificatePath = _pki.CaPemPath });
        await AssertCannotStartAsync(client);
    }

    [Fact]
    public async Task AClientWithAnotherCAsCertificate_CannotCallGrains()
    {
        // The intruder accepts any silo certificate: only the silo's check of the client's certificate stands in its way.
        using var certificate = X509CertificateLoader.LoadPkcs12FromFile(_rogue.Issue("intruder", silo: false), TestPki.Password);
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleansClient(client =>
        {
            client.UseRedisClustering(Redis);
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = _clusterId;
                o.ServiceId = SoulBoxCluster.ServiceId;
            });
            client.UseTls(certificate, o => o.AllowAnyRemoteCertificate());
        });
        using var intruder = builder.Build();
        await AssertCannotStartAsync(intruder);
    }

    [Fact]
    public void AClientCertificateThatIsNotOfTheConfiguredCa_FailsAtStartUp()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Client(new ClusterTlsOptions
        {
            CertificatePath = _rogue.Issue("misconfigured", silo: false),
            Password = TestPki.Password,
            CaCertificatePath = _pki.CaPemPath,
        }));
        Assert.Contains("SoulBox:Client:Tls:CertificatePath", error.Message);
        Assert.Contains("not issued by a CA", error.Message);
    }

    /// <summary>The silos drop the connection during TLS (in TLS 1.3 right after the client's side of the handshake), so
    /// the Orleans client keeps trying gateways and never starts, or gives up with a connection error: either way no
    /// grain call is ever sent. A client with the right certificate starts against the same silos in well under a second.</summary>
    private static async Task AssertCannotStartAsync(IHost client)
    {
        var start = client.StartAsync();
        if (await Task.WhenAny(start, Task.Delay(TimeSpan.FromSeconds(10))) == start)
        {
            var error = await Assert.ThrowsAnyAsync<Exception>(() => start);
            Assert.True(error is SiloUnavailableException or ConnectionFailedException or OrleansException,
                $"expected a connection failure, got {error.GetType()}: {error.Message}");
        }

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await client.StopAsync(stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private IHost Client(ClusterTlsOptions tls)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.AddSoulBoxClient(o =>
        {
            o.Redis = Redis;
            o.ClusterId = _clusterId;
            o.Tls = tls;
        });
        return builder.Build();
    }
}
