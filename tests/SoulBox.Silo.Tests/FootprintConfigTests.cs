using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using SoulBox.Grains.Hosting;
using SoulBox.Silo.Auth;
using SoulBox.Silo.Hosting;

namespace SoulBox.Silo.Tests;

/// <summary>The settings that keep an idle node small (issue 9, idle footprint; the bench's "idle single-node silo RSS
/// after start-up, pool filled" measures their effect): each is checked here as configuration, never as a figure.</summary>
public sealed class FootprintConfigTests
{
    [Fact]
    public void SiloRuntimeConfig_ChoosesServerGcWithDatas()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "SoulBox.Silo.runtimeconfig.json");
        using var config = JsonDocument.Parse(File.ReadAllText(path));
        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.True(properties.GetProperty("System.GC.Server").GetBoolean());
        Assert.True(properties.GetProperty("System.GC.Concurrent").GetBoolean());
        Assert.Equal(1, properties.GetProperty("System.GC.DynamicAdaptationMode").GetInt32());
    }

    [Fact]
    public void DataProtectionKeyRing_IsNotLoadedAtStartUp()
    {
        // Authentication brings the warm-up (this is what the node removes; if its type is renamed, this fails first).
        var plain = WebApplication.CreateBuilder();
        plain.Services.AddAuthentication();
        Assert.Contains(plain.Services, DataProtectionWarmUp.IsWarmUp);

        var builder = NodeBuilder();
        builder.AddSoulBoxSilo();
        builder.AddSoulBoxGateway();

        Assert.DoesNotContain(builder.Services, DataProtectionWarmUp.IsWarmUp);
    }

    [Fact]
    public void GrainDirectoryCache_IsSizedForSoulBox_NotOrleansMillion()
    {
        var builder = NodeBuilder();
        builder.AddSoulBoxSilo();
        using var services = builder.Services.BuildServiceProvider();

        var cacheSize = services.GetRequiredService<IOptions<GrainDirectoryOptions>>().Value.CacheSize;

        Assert.Equal(SoulBoxSiloBuilderExtensions.DirectoryCacheSize, cacheSize);
        Assert.True(cacheSize < GrainDirectoryOptions.DEFAULT_CACHE_SIZE);
    }

    [Fact]
    public void MetricStreams_AreCappedExceptAspNetCoreRequestDuration()
    {
        using var orleans = new Meter(ServiceDefaults.OrleansMeter);
        using var hosting = new Meter("Microsoft.AspNetCore.Hosting");

        var capped = ServiceDefaults.MetricStream(orleans.CreateCounter<long>("orleans-test-counter"));
        var requests = ServiceDefaults.MetricStream(hosting.CreateHistogram<double>("http.server.request.duration"));

        Assert.Equal(ServiceDefaults.MetricStreamCardinalityLimit, capped?.CardinalityLimit);
        Assert.Null(requests);
    }

    private static WebApplicationBuilder NodeBuilder() =>
        WebApplication.CreateBuilder(["--urls", "http://127.0.0.1:18998", "--SoulBox:NodeName", "footprinttest"]);
}
