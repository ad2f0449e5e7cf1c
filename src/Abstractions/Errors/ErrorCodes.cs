namespace SoulBox;

/// <summary>Stable error codes; the HTTP gateway publishes them as problem-details types.</summary>
public static class ErrorCodes
{
    /// <summary>A request was malformed or out of range (400; <see cref="SandboxValidationException"/>).</summary>
    public const string Validation = "validation";
    /// <summary>No sandbox has the id (404; <see cref="SandboxNotFoundException"/>).</summary>
    public const string SandboxNotFound = "sandbox_not_found";
    /// <summary>The sandbox's container or node is gone (409; <see cref="SandboxLostException"/>).</summary>
    public const string SandboxLost = "sandbox_lost";
    /// <summary>The sandbox reached the end of its lifetime (409; <see cref="SandboxExpiredException"/>).</summary>
    public const string SandboxExpired = "sandbox_expired";
    /// <summary>The sandbox was killed and takes no more calls (409; <see cref="SandboxKilledException"/>).</summary>
    public const string SandboxNotRunning = "sandbox_not_running";
    /// <summary>No worker node can take the work now (503; <see cref="NoCapacityException"/>, <see cref="NodeBusyException"/>).</summary>
    public const string NoCapacity = "no_capacity";
    /// <summary>The file or directory does not exist in the sandbox (404).</summary>
    public const string FileNotFound = "file_not_found";
    /// <summary>The path leads outside the sandbox's writable directories (400).</summary>
    public const string PathEscape = "path_escape";
    /// <summary>A file operation was given a directory (400).</summary>
    public const string IsDirectory = "is_directory";
    /// <summary>A directory operation was given a file (400).</summary>
    public const string NotDirectory = "not_directory";
    /// <summary>A non-recursive remove was given a directory with entries (409).</summary>
    public const string DirectoryNotEmpty = "directory_not_empty";
    /// <summary>The path to create exists already (409).</summary>
    public const string AlreadyExists = "already_exists";
    /// <summary>The sandbox user may not read or write the path (403).</summary>
    public const string PermissionDenied = "permission_denied";
    /// <summary>No code context has the id (404).</summary>
    public const string ContextNotFound = "context_not_found";
    /// <summary>No background process of the sandbox has the pid (404; <see cref="ProcessNotFoundException"/>).</summary>
    public const string ProcessNotFound = "process_not_found";
    /// <summary>The sandbox already runs as many background processes as it may (429).</summary>
    public const string TooManyProcesses = "too_many_processes";
    /// <summary>Part of the request is larger than the node accepts (413; <see cref="RequestTooLargeException"/>).</summary>
    public const string TooLarge = "too_large";
    /// <summary>The sandbox's file system (or the sandbox user's quota) is full (507).</summary>
    public const string NoSpace = "no_space";
    /// <summary>A tenant asked for more one-shot runs at once than its share of a node (429, Retry-After).</summary>
    public const string TenantShareExceeded = "tenant_share_exceeded";
    /// <summary>Too many requests in flight at once (per sandbox, or per tenant at the gateway); retry later.</summary>
    public const string TooManyRequests = "too_many_requests";
    /// <summary>An unexpected failure inside SoulBox (500).</summary>
    public const string Internal = "internal";
}
