namespace SoulBox.Silo.Problems;

/// <summary>Error codes that only the HTTP gateway produces (the rest come from <see cref="ErrorCodes"/>).</summary>
public static class GatewayErrorCodes
{
    public const string Unauthorized = "unauthorized";
    public const string Forbidden = "forbidden";
    public const string RateLimited = "rate_limited";
    public const string TenantSandboxLimit = "tenant_sandbox_limit";
    public const string RouteNotFound = "not_found";
    public const string MethodNotAllowed = "method_not_allowed";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string Unavailable = "unavailable";
    public const string Timeout = "timeout";
    /// <summary>An admin call named a worker node that is not up in the cluster (404).</summary>
    public const string NodeNotFound = "node_not_found";
}
