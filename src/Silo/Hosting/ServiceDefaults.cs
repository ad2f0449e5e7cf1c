using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using SoulBox.Grains.Telemetry;

namespace SoulBox.Silo.Hosting;

/// <summary>What every node has, whatever its role: OpenTelemetry (SoulBox's meter, the Microsoft.Orleans meter,
/// ASP.NET Core and runtime instrumentation), a Prometheus scrape endpoint, and health/readiness checks.
/// Traces are collected and exported only when OTEL_EXPORTER_OTLP_ENDPOINT is set (then metrics go there too).</summary>
public static class ServiceDefaults
{
    public const string ServiceName = "soulbox";
    public const string OrleansMeter = "Microsoft.Orleans";
    private const string ReadyTag = "ready";

    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder)
    {
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var node = builder.Configuration["SoulBox:NodeName"] ?? Environment.MachineName;
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(ServiceName, serviceInstanceId: node))
            .WithMetrics(metrics => metrics
                .AddMeter(SoulBoxMetrics.MeterName, OrleansMeter)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddView(MetricStream)
                .AddPrometheusExporter());
        if (otlp)
        {
            // HTTP request → grain calls → agent call, one trace (Orleans propagates Activity.Current, see AddSoulBoxSilo).
            telemetry.WithTracing(tracing => tracing
                .AddSource("Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application", SoulBoxMetrics.MeterName)
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !IsInfrastructure(http.Request.Path))
                .AddHttpClientInstrumentation());
            telemetry.UseOtlpExporter();
        }

        builder.Services.AddHealthChecks().AddCheck<ClusterReadyCheck>("cluster", tags: [ReadyTag]);
        return builder;
    }

    /// <summary>Series kept per instrument, beyond which new tag sets go to one overflow series
    /// (<c>otel_metric_overflow="true"</c>). OpenTelemetry allocates every instrument's limit up front (its default
    /// 2,000 points × 72 bytes = 144 KB), and a node publishes about 240 instruments (Orleans' meter most of them): 35 MB of
    /// an idle node's heap, the largest item in it (measured with dotnet-dump). SoulBox's, Orleans' and the runtime's
    /// instruments carry a few dozen tag sets at most (language × outcome, grain type, GC generation); ASP.NET Core's
    /// request duration (route × method × status) keeps the default.</summary>
    public const int MetricStreamCardinalityLimit = 200;

    private const string AspNetCoreHostingMeter = "Microsoft.AspNetCore.Hosting";

    internal static MetricStreamConfiguration? MetricStream(Instrument instrument) =>
        instrument.Meter.Name == AspNetCoreHostingMeter ? null : new MetricStreamConfiguration { CardinalityLimit = MetricStreamCardinalityLimit };

    /// <summary><c>/health</c> (the process answers), <c>/ready</c> (a worker node: it can start a sandbox now; a
    /// gateway-only node: at least one worker that can is in the cluster; else 503 with what is missing, see
    /// <see cref="ClusterReadyCheck"/>) and <c>/metrics</c> (Prometheus). Open to every caller: they tell nothing
    /// about any tenant.</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/health", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync }).WithTags("Health");
        app.MapHealthChecks("/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync }).WithTags("Health");
        app.MapPrometheusScrapingEndpoint("/metrics").ExcludeFromDescription();
        return app;
    }

    private static bool IsInfrastructure(PathString path) =>
        path.StartsWithSegments("/metrics") || path.StartsWithSegments("/health") || path.StartsWithSegments("/ready") || path.StartsWithSegments("/dashboard");

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString().ToLowerInvariant(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString().ToLowerInvariant(), description = e.Value.Description }),
            // What keeps the node from being ready, one "item: why" each (agent, docker, images, containers, draining, ...).
            missing = report.Entries.Values.SelectMany(e => e.Data.TryGetValue(ClusterReadyCheck.MissingKey, out var m) && m is string[] items ? items : []).ToArray(),
        }));
    }
}

