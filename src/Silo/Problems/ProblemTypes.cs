using Microsoft.AspNetCore.Mvc;

namespace SoulBox.Silo.Problems;

/// <summary>How every error is told over HTTP: RFC 7807 problem details whose <c>type</c> is
/// <c>urn:soulbox:error:&lt;code&gt;</c> and whose <c>code</c> extension is the bare stable code.</summary>
public static class ProblemTypes
{
    public const string Prefix = "urn:soulbox:error:";

    public static string TypeOf(string code) => Prefix + code;

    /// <summary>Status of a SoulBox error. A sandbox that is no longer running (killed, expired, lost) is 409,
    /// told apart by type; a run that timed out or hit a limit is not an error (200 with its status).</summary>
    public static int StatusOf(string code) => code switch
    {
        ErrorCodes.Validation or ErrorCodes.PathEscape or ErrorCodes.IsDirectory or ErrorCodes.NotDirectory => StatusCodes.Status400BadRequest,
        ErrorCodes.SandboxNotFound or ErrorCodes.FileNotFound or ErrorCodes.ContextNotFound or GatewayErrorCodes.RouteNotFound => StatusCodes.Status404NotFound,
        ErrorCodes.ProcessNotFound => StatusCodes.Status404NotFound,
        ErrorCodes.TooManyProcesses => StatusCodes.Status429TooManyRequests,
        GatewayErrorCodes.NodeNotFound => StatusCodes.Status404NotFound,
        ErrorCodes.SandboxNotRunning or ErrorCodes.SandboxExpired or ErrorCodes.SandboxLost => StatusCodes.Status409Conflict,
        ErrorCodes.DirectoryNotEmpty or ErrorCodes.AlreadyExists => StatusCodes.Status409Conflict,
        ErrorCodes.TooLarge => StatusCodes.Status413PayloadTooLarge,
        ErrorCodes.NoSpace => StatusCodes.Status507InsufficientStorage,
        ErrorCodes.NoCapacity or GatewayErrorCodes.Unavailable => StatusCodes.Status503ServiceUnavailable,
        GatewayErrorCodes.Unauthorized => StatusCodes.Status401Unauthorized,
        ErrorCodes.PermissionDenied => StatusCodes.Status403Forbidden,
        GatewayErrorCodes.Forbidden => StatusCodes.Status403Forbidden,
        GatewayErrorCodes.RateLimited or GatewayErrorCodes.TenantSandboxLimit or ErrorCodes.TenantShareExceeded or ErrorCodes.TooManyRequests => StatusCodes.Status429TooManyRequests,
        GatewayErrorCodes.MethodNotAllowed => StatusCodes.Status405MethodNotAllowed,
        GatewayErrorCodes.UnsupportedMediaType => StatusCodes.Status415UnsupportedMediaType,
        GatewayErrorCodes.Timeout => StatusCodes.Status504GatewayTimeout,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>The code of a bare status (404 of an unknown route, 405, ...).</summary>
    public static string CodeOfStatus(int status) => status switch
    {
        StatusCodes.Status400BadRequest => ErrorCodes.Validation,
        StatusCodes.Status401Unauthorized => GatewayErrorCodes.Unauthorized,
        StatusCodes.Status403Forbidden => GatewayErrorCodes.Forbidden,
        StatusCodes.Status404NotFound => GatewayErrorCodes.RouteNotFound,
        StatusCodes.Status405MethodNotAllowed => GatewayErrorCodes.MethodNotAllowed,
        StatusCodes.Status413PayloadTooLarge => ErrorCodes.TooLarge,
        StatusCodes.Status415UnsupportedMediaType => GatewayErrorCodes.UnsupportedMediaType,
        StatusCodes.Status429TooManyRequests => GatewayErrorCodes.RateLimited,
        StatusCodes.Status503ServiceUnavailable => GatewayErrorCodes.Unavailable,
        StatusCodes.Status504GatewayTimeout => GatewayErrorCodes.Timeout,
        _ => ErrorCodes.Internal,
    };

    public static ProblemDetails Create(string code, string detail, int? status = null)
    {
        var problem = new ProblemDetails
        {
            Type = TypeOf(code),
            Title = TitleOf(code),
            Status = status ?? StatusOf(code),
            Detail = detail,
        };
        problem.Extensions["code"] = code;
        return problem;
    }

    private static string TitleOf(string code) => code switch
    {
        ErrorCodes.Validation => "The request is invalid.",
        ErrorCodes.SandboxNotFound => "No such sandbox.",
        ErrorCodes.SandboxNotRunning => "The sandbox is not running.",
        ErrorCodes.SandboxExpired => "The sandbox expired.",
        ErrorCodes.SandboxLost => "The sandbox was lost.",
        ErrorCodes.NoCapacity => "No worker capacity.",
        ErrorCodes.FileNotFound => "No such file.",
        ErrorCodes.PathEscape => "The path leaves the sandbox's writable areas.",
        ErrorCodes.IsDirectory => "The path is a directory.",
        ErrorCodes.NotDirectory => "The path is not a directory.",
        ErrorCodes.DirectoryNotEmpty => "The directory is not empty.",
        ErrorCodes.AlreadyExists => "The path already exists.",
        ErrorCodes.PermissionDenied => "The sandbox user may not do that to this path.",
        ErrorCodes.ContextNotFound => "No such code context.",
        ErrorCodes.ProcessNotFound => "No such background process.",
        ErrorCodes.TooManyProcesses => "Too many background processes in the sandbox.",
        ErrorCodes.TooLarge => "The request or a part of it is too large.",
        ErrorCodes.NoSpace => "No space left in the sandbox.",
        ErrorCodes.TenantShareExceeded => "Too many executions at once for this tenant.",
        ErrorCodes.TooManyRequests => "Too many requests in flight.",
        GatewayErrorCodes.Unauthorized => "An API key is required.",
        GatewayErrorCodes.Forbidden => "This key may not do that.",
        GatewayErrorCodes.RateLimited => "Too many requests.",
        GatewayErrorCodes.TenantSandboxLimit => "Too many sandboxes.",
        GatewayErrorCodes.RouteNotFound => "Not found.",
        GatewayErrorCodes.MethodNotAllowed => "Method not allowed.",
        GatewayErrorCodes.UnsupportedMediaType => "Unsupported media type.",
        GatewayErrorCodes.Unavailable => "The cluster is unavailable.",
        GatewayErrorCodes.Timeout => "The cluster did not answer in time.",
        GatewayErrorCodes.NodeNotFound => "No such worker node.",
        _ => "An internal error occurred.",
    };
}
