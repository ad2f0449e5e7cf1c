using Orleans.Dashboard;
using SoulBox.Silo.Auth;

namespace SoulBox.Silo.Hosting;

/// <summary>The Orleans Dashboard's pages and API at /dashboard, built on the first request instead of at start-up.
/// <para>Why: <c>MapOrleansDashboard</c> resolves the dashboard's asset provider when it maps its routes, and that
/// provider reads every embedded asset of the dashboard (scripts, fonts, images) into memory and gzips each one: about
/// 21 MB of byte arrays on the large-object heap plus 17 MB of the assembly's pages, held for the life of a node that
/// may never serve the dashboard (measured with dotnet-dump on an idle single node: the largest item after
/// OpenTelemetry's metric buffers). Built on demand, a node pays that only once an admin opens the page.</para>
/// <para>How: one catch-all endpoint under /dashboard carries the admin policy, so the gateway's authentication and
/// authorization run before anything of the dashboard does; its handler runs a small pipeline of its own (routing,
/// authorization again, the dashboard's endpoints) that is built once, on first use.</para></summary>
internal sealed class LazyDashboard(IServiceProvider services)
{
    public const string RoutePrefix = "/dashboard";

    private readonly Lazy<RequestDelegate> _pipeline = new(() => Build(services), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Whether the dashboard's pipeline (and so its assets) has been built yet.</summary>
    public bool IsBuilt => _pipeline.IsValueCreated;

    public Task InvokeAsync(HttpContext context)
    {
        // The catch-all endpoint that led here is the outer one; the inner routing matches only when none is set.
        context.SetEndpoint(null);
        context.Request.RouteValues = [];
        return _pipeline.Value(context);
    }

    private static RequestDelegate Build(IServiceProvider services)
    {
        // A builder of its own (not WebApplication.New(), which shares the application's global route table, so the
        // dashboard's routes would be added to it while requests are being served).
        var dashboard = new ApplicationBuilder(services);
        dashboard.UseRouting();
        dashboard.UseAuthorization();
        dashboard.UseEndpoints(endpoints => endpoints.MapOrleansDashboard(RoutePrefix).RequireAuthorization(AuthExtensions.AdminPolicy));
        return dashboard.Build();
    }
}
