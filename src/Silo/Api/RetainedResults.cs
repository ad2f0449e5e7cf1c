using Microsoft.AspNetCore.Http.HttpResults;
using SoulBox.Grains.Execution;
using SoulBox.Silo.Auth;

namespace SoulBox.Silo.Api;

/// <summary>Charges a run's result to its tenant's <see cref="RetainedOutputBudget"/> while the gateway writes it: a
/// result carries everything the run printed, and a caller that reads it slowly (or not at all) would otherwise let
/// a tenant pile up finished results as fast as its runs finish. While a tenant's unread results hold its share,
/// its further runs keep no output (marked truncated), so what the node holds stays bounded.</summary>
internal static class RetainedResults
{
    /// <summary>Endpoint filter for the REST API: wraps a finished run's JSON result.</summary>
    public static async ValueTask<object?> FilterAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var result = await next(context);
        var size = result switch
        {
            Ok<CommandResult> { Value: { } command } => SizeOf(command.Stdout, command.Stderr),
            Ok<CodeRunResult> { Value: { } code } => SizeOf(code),
            _ => 0,
        };
        return size > 0 && result is IResult inner && Open(context.HttpContext, size) is { } lease
            ? new LeasedResult(inner, lease)
            : result;
    }

    /// <summary>Charges <paramref name="size"/> bytes to the caller's tenant; dispose the lease once they are written.</summary>
    public static RetainedOutputBudget.Lease? Open(HttpContext http, long size)
    {
        if (http.RequestServices.GetService<RetainedOutputBudget>() is not { } budget)
        {
            return null;
        }

        var lease = budget.Open(http.Tenant());
        lease.Charge(size);
        return lease;
    }

    public static long SizeOf(string? stdout, string? stderr) => (stdout?.Length ?? 0) + (stderr?.Length ?? 0);

    /// <summary>A code run's output and its rich results (images are most of a chart's answer).</summary>
    public static long SizeOf(CodeRunResult code)
    {
        var size = SizeOf(code.Stdout, code.Stderr);
        foreach (var result in code.Results)
        {
            foreach (var (mime, content) in result.Data)
            {
                size += mime.Length + content.Length;
            }
        }

        return size;
    }

    private sealed class LeasedResult(IResult inner, RetainedOutputBudget.Lease lease) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            try
            {
                await inner.ExecuteAsync(httpContext);
            }
            finally
            {
                lease.Dispose();
            }
        }
    }
}
