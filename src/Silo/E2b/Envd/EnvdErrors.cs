using SoulBox.Silo.E2b.Envd.Connect;

namespace SoulBox.Silo.E2b.Envd;

/// <summary>What a failed grain call becomes on envd: the Connect code the SDK turns into its own errors
/// (not_found → NotFoundError and "false" from kill/makeDir, invalid_argument → InvalidArgumentError,
/// deadline_exceeded → TimeoutError, ...). Messages are SoulBox's, which name the caller's path, never a host path.</summary>
internal static class EnvdErrors
{
    public static ConnectException From(Exception exception) => exception switch
    {
        ConnectException connect => connect,
        SoulBoxException e => new ConnectException(CodeOf(e.Code), e.Message),
        NotSupportedException or NotImplementedException => new ConnectException(ConnectCodes.Unimplemented, exception.Message),
        TimeoutException => new ConnectException(ConnectCodes.DeadlineExceeded, exception.Message),
        OperationCanceledException => new ConnectException(ConnectCodes.Canceled, "The call was cancelled."),
        _ => new ConnectException(ConnectCodes.Internal, "envd failed inside the gateway; see the node's log."),
    };

    /// <summary>The Connect code of a SoulBox error code.</summary>
    public static string CodeOf(string soulBoxCode) => soulBoxCode switch
    {
        ErrorCodes.FileNotFound or ErrorCodes.ProcessNotFound or ErrorCodes.ContextNotFound => ConnectCodes.NotFound,
        ErrorCodes.Validation or ErrorCodes.PathEscape or ErrorCodes.IsDirectory or ErrorCodes.NotDirectory => ConnectCodes.InvalidArgument,
        ErrorCodes.AlreadyExists => ConnectCodes.AlreadyExists,
        ErrorCodes.DirectoryNotEmpty => ConnectCodes.FailedPrecondition,
        ErrorCodes.PermissionDenied => ConnectCodes.PermissionDenied,
        ErrorCodes.TooLarge or ErrorCodes.NoSpace or ErrorCodes.TooManyProcesses or ErrorCodes.TooManyRequests
            or ErrorCodes.TenantShareExceeded => ConnectCodes.ResourceExhausted,
        // The sandbox ended under the call (killed, expired, lost) or no node can serve it now.
        ErrorCodes.SandboxNotFound or ErrorCodes.SandboxNotRunning or ErrorCodes.SandboxExpired or ErrorCodes.SandboxLost
            or ErrorCodes.NoCapacity => ConnectCodes.Unavailable,
        _ => ConnectCodes.Internal,
    };
}
