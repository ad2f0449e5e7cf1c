namespace SoulBox.Silo.Problems;

public static class ProblemsExtensions
{
    /// <summary>Problem details for every error: typed exceptions through <see cref="SoulBoxExceptionHandler"/>,
    /// bare statuses (unknown route, 405, ...) through status code pages; each with a stable type and code,
    /// the trace id, and for the Piston API also Piston's <c>message</c> field.</summary>
    public static IServiceCollection AddSoulBoxProblems(this IServiceCollection services)
    {
        services.AddExceptionHandler<SoulBoxExceptionHandler>();
        services.AddProblemDetails(o => o.CustomizeProblemDetails = context => ProblemWriter.Customize(context.ProblemDetails, context.HttpContext));
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        return services;
    }

    public static IApplicationBuilder UseSoulBoxProblems(this IApplicationBuilder app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        return app;
    }
}
