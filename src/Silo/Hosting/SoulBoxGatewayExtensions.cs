using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Scalar.AspNetCore;
using SoulBox.Grains.Execution;
using SoulBox.Silo.Api;
using SoulBox.Silo.Auth;
using SoulBox.Silo.E2b;
using SoulBox.Silo.Problems;

namespace SoulBox.Silo.Hosting;

public static class SoulBoxGatewayExtensions
{
    /// <summary>The HTTP side of the node: Kestrel addresses and limits (loopback only without API keys), JSON,
    /// problem details, API keys and tenants, rate limits, OpenAPI. A worker-only node gets no HTTP server unless
    /// SoulBox:Http:Urls is set.</summary>
    public static WebApplicationBuilder AddSoulBoxGateway(this WebApplicationBuilder builder)
    {
        var node = builder.Services.Select(d => d.ImplementationInstance).OfType<SoulBoxNodeOptions>().FirstOrDefault()
            ?? throw new InvalidOperationException("Call AddSoulBoxSilo before AddSoulBoxGateway.");
        var http = new GatewayHttpOptions();
        builder.Configuration.GetSection(GatewayHttpOptions.SectionName).Bind(http);
        var problems = http.Validate().ToList();
        if (problems.Count > 0)
        {
            throw new InvalidOperationException("Invalid SoulBox configuration: " + string.Join(" ", problems));
        }

        builder.Services.AddOptions<GatewayHttpOptions>().Bind(builder.Configuration.GetSection(GatewayHttpOptions.SectionName));
        builder.AddSoulBoxAuth();
        builder.AddSoulBoxE2b();
        // Every AddAuthentication (SoulBox's API keys, E2B's sandbox tokens) registers data protection's key-ring
        // warm-up again: taken out once, after the last of them.
        DataProtectionWarmUp.Remove(builder.Services);
        builder.Services.AddSoulBoxProblems();
        if (!node.IsGateway && http.Urls is null)
        {
            builder.Services.AddSingleton<IServer, NoHttpServer>();
            return builder;
        }

        if (http.Urls is { Length: > 0 } urls)
        {
            builder.WebHost.UseUrls(urls);
        }

        var configured = (http.Urls ?? builder.Configuration[WebHostDefaults.ServerUrlsKey] ?? "")
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Concat(builder.Configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>());
        if (!AuthOptions.From(builder.Configuration).KeysRequired)
        {
            LoopbackGuard.CheckConfigured(configured);
        }

        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = http.MaxRequestBodyBytes);
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter<ExecutionStatus>(JsonNamingPolicy.SnakeCaseLower));
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter<CaseVerdict>(JsonNamingPolicy.SnakeCaseLower));
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter<ComparisonMode>(JsonNamingPolicy.SnakeCaseLower));
            o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        });
        builder.Services.AddSingleton<SandboxAccess>();
        builder.Services.AddProcessApi(builder.Configuration);
        builder.Services.AddSingleton<LazyDashboard>();
        // A worker node shares the budget its runs use; a gateway-only node bounds the results it writes with its own.
        builder.Services.TryAddSingleton<RetainedOutputBudget>();
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "SoulBox API";
            document.Info.Description = "Sandboxes for untrusted code: REST v1 (JSON, Server-Sent Events for streaming runs), " +
                "a Piston-compatible /api/v2, RFC 7807 problem details with stable error types (urn:soulbox:error:{code}). " +
                "Authenticate with X-API-Key or Authorization: Bearer.";
            return Task.CompletedTask;
        }));
        return builder;
    }

    /// <summary>Problem details, authentication, the rate of callers without a valid key, authorization, per-tenant
    /// rate limiting and the in-flight limit, in that order; and, without
    /// API keys, a check that the server really listens on loopback only.</summary>
    public static WebApplication UseSoulBoxGateway(this WebApplication app)
    {
        // E2B's data plane shares paths with SoulBox's (/health, /files): its requests move under a private prefix
        // before routing sees them.
        app.UseE2bDataPlaneRouter();
        app.UseRouting();
        app.UseSoulBoxProblems();
        app.UseAuthentication();
        app.UseAnonymousRateLimit();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseMiddleware<TenantInFlightLimiter>();
        if (!app.Services.GetRequiredService<AuthOptions>().KeysRequired)
        {
            app.Lifetime.ApplicationStarted.Register(() => LoopbackGuard.CheckBound(
                app.Services.GetRequiredService<IServer>(), app.Lifetime, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(LoopbackGuard))));
        }

        return app;
    }

    /// <summary>Whether this node serves the HTTP API (role gateway or both).</summary>
    public static bool IsSoulBoxGateway(this WebApplication app) => app.Services.GetRequiredService<SoulBoxNodeOptions>().IsGateway;

    /// <summary>An authenticated tenant, held to its request rate and its requests in flight.</summary>
    public static TBuilder RequireTenant<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(AuthExtensions.TenantPolicy).RequireRateLimiting(AuthExtensions.TenantRateLimit)
            .WithMetadata(TenantInFlightLimiter.Marker);

    /// <summary>The OpenAPI document at /openapi/v1.json and its browsable reference at /reference (served from this
    /// node; no outside assets).</summary>
    public static WebApplication MapApiReference(this WebApplication app)
    {
        app.MapOpenApi();
        app.MapScalarApiReference("/reference", o => o.WithTitle("SoulBox API").DisableDefaultFonts());
        return app;
    }

    /// <summary>The Orleans Dashboard at /dashboard: loopback callers, or an admin key. Built on its first request
    /// (see <see cref="LazyDashboard"/>: its assets would otherwise take ~21 MB of every idle node).</summary>
    public static WebApplication MapSoulBoxDashboard(this WebApplication app)
    {
        var dashboard = app.Services.GetRequiredService<LazyDashboard>();
        app.Map(LazyDashboard.RoutePrefix + "/{**path}", dashboard.InvokeAsync).RequireAuthorization(AuthExtensions.AdminPolicy).ExcludeFromDescription();
        return app;
    }
}
