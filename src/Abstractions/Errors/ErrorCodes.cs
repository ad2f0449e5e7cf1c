namespace SoulBox;

/// <summary>Stable error codes; the HTTP gateway publishes them as problem-details types.</summary>
public static class ErrorCodes
{
    public const string Validation = "validation";
    public const string SandboxNotFound = "sandbox_not_found";
    public const string SandboxLost = "sandbox_lost";
    public const string SandboxExpired = "sandbox_expired";
    public const string SandboxNotRunning = "sandbox_not_running";
    public const string NoCapacity = "no_capacity";
    public const string FileNotFound = "file_not_found";
    public const string PathEscape = "path_escape";
    public const string IsDirectory = "is_directory";
    public const string NotDirectory = "not_directory";
    public const string DirectoryNotEmpty = "directory_not_empty";
    public const string AlreadyExists = "already_exists";
    public const string PermissionDenied = "permission_denied";
    public const string ContextNotFound = "context_not_found";
    public const string TooLarge = "too_large";
    /// <summary>A tenant asked for more one-shot runs at once than its share of a node (429, Retry-After).</summary>
    public const string TenantShareExceeded = "tenant_share_exceeded";
    /// <summary>Too many requests in flight at once (per sandbox, or per tenant at the gateway); retry later.</summary>
    public const string TooManyRequests = "too_many_requests";
    public const string Internal = "internal";
}
