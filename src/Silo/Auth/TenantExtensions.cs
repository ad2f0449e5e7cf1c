namespace SoulBox.Silo.Auth;

public static class TenantExtensions
{
    /// <summary>The caller's tenant (set by API-key authentication; the "tenant" policy guarantees it is there).</summary>
    public static string Tenant(this HttpContext context) =>
        context.User.FindFirst(ApiKeyAuthenticationHandler.TenantClaim)?.Value
        ?? throw new InvalidOperationException("The endpoint has no tenant; it must require the tenant policy.");
}
