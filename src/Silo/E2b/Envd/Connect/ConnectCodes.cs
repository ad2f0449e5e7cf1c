namespace SoulBox.Silo.E2b.Envd.Connect;

/// <summary>Connect's error codes (connectrpc.com/docs/protocol, "Error Codes") and the HTTP status a unary error
/// answer carries for each. The SDK reads the code from the JSON body; a non-200 answer without one reads as the
/// status's code (a bare 404 is "unimplemented").</summary>
internal static class ConnectCodes
{
    public const string Canceled = "canceled";
    public const string Unknown = "unknown";
    public const string InvalidArgument = "invalid_argument";
    public const string DeadlineExceeded = "deadline_exceeded";
    public const string NotFound = "not_found";
    public const string AlreadyExists = "already_exists";
    public const string PermissionDenied = "permission_denied";
    public const string ResourceExhausted = "resource_exhausted";
    public const string FailedPrecondition = "failed_precondition";
    public const string Aborted = "aborted";
    public const string OutOfRange = "out_of_range";
    public const string Unimplemented = "unimplemented";
    public const string Internal = "internal";
    public const string Unavailable = "unavailable";
    public const string DataLoss = "data_loss";
    public const string Unauthenticated = "unauthenticated";

    /// <summary>The HTTP status of a unary error answer with <paramref name="code"/>.</summary>
    public static int HttpStatusOf(string code) => code switch
    {
        Canceled => 499,
        InvalidArgument or FailedPrecondition or OutOfRange => StatusCodes.Status400BadRequest,
        DeadlineExceeded => StatusCodes.Status504GatewayTimeout,
        NotFound => StatusCodes.Status404NotFound,
        AlreadyExists or Aborted => StatusCodes.Status409Conflict,
        PermissionDenied => StatusCodes.Status403Forbidden,
        ResourceExhausted => StatusCodes.Status429TooManyRequests,
        Unimplemented => StatusCodes.Status501NotImplemented,
        Unavailable => StatusCodes.Status503ServiceUnavailable,
        Unauthenticated => StatusCodes.Status401Unauthorized,
        _ => StatusCodes.Status500InternalServerError,
    };
}
