namespace SoulBox;

/// <summary>Base of every error SoulBox reports. <see cref="Code"/> is stable (see <see cref="ErrorCodes"/>);
/// the HTTP gateway maps it to a problem-details type and status.</summary>
[GenerateSerializer, Alias("soulbox.SoulBoxException")]
public class SoulBoxException : Exception
{
    /// <summary>Creates an error with a stable <paramref name="code"/> (one of <see cref="ErrorCodes"/>).</summary>
    public SoulBoxException(string code, string message, Exception? inner = null) : base(message, inner) => Code = code;

    /// <summary>The stable error code (one of <see cref="ErrorCodes"/>); the HTTP gateway's problem type is urn:soulbox:error:{code}.</summary>
    [Id(0)] public string Code { get; private set; }
}

/// <summary>No sandbox has this id (never existed, or ended long enough ago to be forgotten).</summary>
[GenerateSerializer, Alias("soulbox.SandboxNotFoundException")]
public sealed class SandboxNotFoundException(string sandboxId)
    : SoulBoxException(ErrorCodes.SandboxNotFound, $"Sandbox '{sandboxId}' does not exist.")
{
    /// <summary>The id of the sandbox the error is about.</summary>
    [Id(0)] public string SandboxId { get; private set; } = sandboxId;
}

/// <summary>The sandbox's container or its node is gone (killed from outside, node crashed).
/// Its state cannot be recovered; create a new sandbox.</summary>
[GenerateSerializer, Alias("soulbox.SandboxLostException")]
public sealed class SandboxLostException(string sandboxId, string reason)
    : SoulBoxException(ErrorCodes.SandboxLost, $"Sandbox '{sandboxId}' was lost: {reason}")
{
    /// <summary>The id of the sandbox the error is about.</summary>
    [Id(0)] public string SandboxId { get; private set; } = sandboxId;
}

/// <summary>The sandbox reached the end of its lifetime and was removed.</summary>
[GenerateSerializer, Alias("soulbox.SandboxExpiredException")]
public sealed class SandboxExpiredException(string sandboxId, DateTimeOffset expiredAt)
    : SoulBoxException(ErrorCodes.SandboxExpired, $"Sandbox '{sandboxId}' expired at {expiredAt:O}.")
{
    /// <summary>The id of the sandbox the error is about.</summary>
    [Id(0)] public string SandboxId { get; private set; } = sandboxId;
    /// <summary>When the sandbox's lifetime ended.</summary>
    [Id(1)] public DateTimeOffset ExpiredAt { get; private set; } = expiredAt;
}

/// <summary>The sandbox was killed by a caller; no further calls are possible.</summary>
[GenerateSerializer, Alias("soulbox.SandboxKilledException")]
public sealed class SandboxKilledException(string sandboxId)
    : SoulBoxException(ErrorCodes.SandboxNotRunning, $"Sandbox '{sandboxId}' was killed.")
{
    /// <summary>The id of the sandbox the error is about.</summary>
    [Id(0)] public string SandboxId { get; private set; } = sandboxId;
}

/// <summary>A request was malformed or out of range. <see cref="Field"/> names the offending input.</summary>
[GenerateSerializer, Alias("soulbox.SandboxValidationException")]
public sealed class SandboxValidationException(string field, string message)
    : SoulBoxException(ErrorCodes.Validation, message)
{
    /// <summary>The request field (or input: stdin, args, files) that was refused.</summary>
    [Id(0)] public string Field { get; private set; } = field;
}

/// <summary>A file operation failed (missing file, path outside the sandbox, directory given as a file, ...).
/// Code is one of the file codes in <see cref="ErrorCodes"/>.</summary>
[GenerateSerializer, Alias("soulbox.SandboxFileException")]
public sealed class SandboxFileException(string code, string path, string message)
    : SoulBoxException(code, message)
{
    /// <summary>The path inside the sandbox the operation was given.</summary>
    [Id(0)] public string Path { get; private set; } = path;
}

/// <summary>No worker node can take the sandbox now (no workers, or all at their limit).</summary>
[GenerateSerializer, Alias("soulbox.NoCapacityException")]
public sealed class NoCapacityException(string message)
    : SoulBoxException(ErrorCodes.NoCapacity, message);

/// <summary>Part of a request is larger than the node accepts (stdin, arguments, files).
/// <see cref="Field"/> names the input and <see cref="LimitBytes"/> the limit it passed.</summary>
[GenerateSerializer, Alias("soulbox.RequestTooLargeException")]
public sealed class RequestTooLargeException(string field, long limitBytes, string message)
    : SoulBoxException(ErrorCodes.TooLarge, message)
{
    /// <summary>The request field (or input: stdin, args, files) that was refused.</summary>
    [Id(0)] public string Field { get; private set; } = field;
    /// <summary>The limit, in bytes, that the input passed.</summary>
    [Id(1)] public long LimitBytes { get; private set; } = limitBytes;
}

/// <summary>The work was refused for now, not for good: the caller may try again after
/// <see cref="RetryAfterSeconds"/>.</summary>
[GenerateSerializer, Alias("soulbox.RetryLaterException")]
public abstract class RetryLaterException(string code, string message, int retryAfterSeconds)
    : SoulBoxException(code, message)
{
    /// <summary>Seconds to wait before trying again (the HTTP gateway sends it as Retry-After).</summary>
    [Id(0)] public int RetryAfterSeconds { get; private set; } = retryAfterSeconds;
}

/// <summary>A tenant holds (or waits for) as many one-shot runs on the node as its share allows: 429.</summary>
[GenerateSerializer, Alias("soulbox.TenantShareExceededException")]
public sealed class TenantShareExceededException(string message, int retryAfterSeconds)
    : RetryLaterException(ErrorCodes.TenantShareExceeded, message, retryAfterSeconds);

/// <summary>Every one-shot slot of the node stayed busy for the whole bounded wait: 503.</summary>
[GenerateSerializer, Alias("soulbox.NodeBusyException")]
public sealed class NodeBusyException(string message, int retryAfterSeconds)
    : RetryLaterException(ErrorCodes.NoCapacity, message, retryAfterSeconds);

/// <summary>Too many requests are in flight at once (on one sandbox, or for one tenant at the gateway). Nothing was
/// done; retry after <see cref="RetryLaterException.RetryAfterSeconds"/> (the HTTP gateway answers 429 with that Retry-After).</summary>
[GenerateSerializer, Alias("soulbox.TooManyRequestsException")]
public sealed class TooManyRequestsException(string message, int retryAfterSeconds = 1)
    : RetryLaterException(ErrorCodes.TooManyRequests, message, retryAfterSeconds);

/// <summary>No background process of the sandbox has the pid (it never existed, or it ended and was forgotten).</summary>
[GenerateSerializer, Alias("soulbox.ProcessNotFoundException")]
public sealed class ProcessNotFoundException(string sandboxId, int pid)
    : SoulBoxException(ErrorCodes.ProcessNotFound, $"Sandbox '{sandboxId}' has no process {pid}.")
{
    /// <summary>The pid asked for.</summary>
    [Id(0)] public int Pid { get; private set; } = pid;
}
