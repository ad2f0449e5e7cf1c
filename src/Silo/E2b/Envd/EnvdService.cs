namespace SoulBox.Silo.E2b.Envd;

/// <summary>E2B's envd (port 49983) served by the gateway: Connect RPC (process.Process, filesystem.Filesystem),
/// <c>/files</c> and <c>/health</c>, each call translated into grain calls on the sandbox.</summary>
internal sealed class EnvdService
{
    /// <summary>Answers one envd request for <paramref name="target"/> (path and method as the SDK sent them).</summary>
    public Task HandleAsync(HttpContext http, E2bSandboxTarget target, CancellationToken cancellationToken)
    {
        // Placeholder until the envd implementation lands: Connect's "unimplemented".
        http.Response.StatusCode = StatusCodes.Status404NotFound;
        return http.Response.WriteAsJsonAsync(new { code = "unimplemented", message = $"{http.Request.Path} is not implemented yet." }, cancellationToken);
    }
}
