using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using SoulBox.Silo.Api;
using SoulBox.Silo.Auth;

namespace SoulBox.Silo.Problems;

/// <summary>Turns every exception that reaches the pipeline into problem details: SoulBox's typed errors keep
/// their stable code, request errors (malformed JSON, body too large) get theirs, anything else is a 500
/// that says nothing of the internals.</summary>
internal sealed partial class SoulBoxExceptionHandler(ILogger<SoulBoxExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
        {
            return true; // The caller is gone; nobody reads an answer.
        }

        if (exception is not SoulBoxException && SandboxIdOf(httpContext) is { } sandboxId
            && httpContext.RequestServices.GetService<SandboxAccess>() is { } access
            && httpContext.User.FindFirst(ApiKeyAuthenticationHandler.TenantClaim)?.Value is { } tenant)
        {
            // A sandbox whose worker stopped after ending it (a drain's deadline) or died can fail below SoulBox (no silo
            // may host its grain any more); its owner should hear how it ended, as from a live worker, not a 500.
            exception = await access.ExplainFailureAsync(sandboxId, tenant) ?? exception;
        }

        var problem = ToProblem(exception);
        if (problem.Status >= 500 && exception is not (NoCapacityException or NodeBusyException or NodeDrainingException or SiloUnavailableException or OrleansMessageRejectionException))
        {
            LogUnhandled(exception, httpContext.Request.Method, httpContext.Request.Path);
        }

        httpContext.Response.StatusCode = problem.Status!.Value;
        if (exception is TenantLimitException)
        {
            httpContext.Response.Headers.RetryAfter = TenantLimitRetryAfterSeconds;
        }
        else if (exception is RetryLaterException retry)
        {
            httpContext.Response.Headers.RetryAfter = Math.Max(1, retry.RetryAfterSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return await ProblemWriter.WriteAsync(httpContext, problem, exception);
    }

    /// <summary>The sandbox id of the failed request's route; the exception handler middleware clears the route values
    /// before handlers run, and keeps them on its feature.</summary>
    private static string? SandboxIdOf(HttpContext httpContext) =>
        httpContext.Features.Get<IExceptionHandlerFeature>()?.RouteValues?["id"] as string;

    /// <summary>A tenant at its sandbox limit is told to come back after this many seconds (sandboxes end by
    /// kill or expiry, which the gateway cannot predict; a short wait is an honest guess).</summary>
    private const string TenantLimitRetryAfterSeconds = "5";

    public static ProblemDetails ToProblem(Exception exception)
    {
        switch (exception)
        {
            case TenantLimitException limit:
                return ProblemTypes.Create(limit.Code, limit.Message);
            case SoulBoxException e:
                var problem = ProblemTypes.Create(e.Code, e.Message);
                switch (e)
                {
                    case SandboxValidationException v:
                        problem.Extensions["field"] = v.Field;
                        break;
                    case SandboxFileException f:
                        problem.Extensions["path"] = f.Path;
                        break;
                    case SandboxExpiredException x:
                        problem.Extensions["expiredAt"] = x.ExpiredAt;
                        break;
                    case RequestTooLargeException large:
                        problem.Extensions["field"] = large.Field;
                        problem.Extensions["limitBytes"] = large.LimitBytes;
                        break;
                    case RetryLaterException retry:
                        problem.Extensions["retryAfterSeconds"] = retry.RetryAfterSeconds;
                        break;
                }

                return problem;
            case BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } tooLarge:
                return ProblemTypes.Create(ErrorCodes.TooLarge, tooLarge.Message);
            case BadHttpRequestException { StatusCode: StatusCodes.Status415UnsupportedMediaType } media:
                return ProblemTypes.Create(GatewayErrorCodes.UnsupportedMediaType, media.Message);
            case BadHttpRequestException bad:
                var invalid = ProblemTypes.Create(ErrorCodes.Validation, bad.InnerException is JsonException json
                    ? $"The request body is not valid JSON for this endpoint: {json.Message}"
                    : bad.Message, bad.StatusCode);
                invalid.Extensions["field"] = bad.InnerException is JsonException { Path: { Length: > 0 } path } ? path : "body";
                return invalid;
            case JsonException bodyJson:
                var malformed = ProblemTypes.Create(ErrorCodes.Validation, $"The request body is not valid JSON: {bodyJson.Message}");
                malformed.Extensions["field"] = bodyJson.Path ?? "body";
                return malformed;
            case TimeoutException:
                return ProblemTypes.Create(GatewayErrorCodes.Timeout, "The cluster did not answer in time.");
            case SiloUnavailableException or OrleansMessageRejectionException:
                return ProblemTypes.Create(GatewayErrorCodes.Unavailable, "The node that holds this resource is unavailable.");
            default:
                return ProblemTypes.Create(ErrorCodes.Internal, "An internal error occurred; the gateway's log has the details.");
        }
    }

    [LoggerMessage(1, LogLevel.Error, "Unhandled error in {Method} {Path}")]
    private partial void LogUnhandled(Exception exception, string method, string path);
}
