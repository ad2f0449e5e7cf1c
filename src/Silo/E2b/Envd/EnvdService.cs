using SoulBox.Silo.E2b.Envd.Connect;

namespace SoulBox.Silo.E2b.Envd;

/// <summary>E2B's envd (port 49983) served by the gateway: Connect RPC (process.Process, filesystem.Filesystem),
/// <c>/files</c> and <c>/health</c>, each call translated into grain calls on the sandbox.</summary>
internal sealed class EnvdService(ProcessRpc process, FilesystemRpc filesystem, EnvdFiles files)
{
    /// <summary>The envd version whose SDK feature gates this implementation meets: stdin:false (&gt;= 0.3.0),
    /// CloseStdin (0.5.2), octet-stream uploads (0.5.7); not 0.6.2's file metadata headers (X-Metadata-*: the grain
    /// keeps no extended attributes). The control plane reports it as <c>envdVersion</c>.</summary>
    public const string Version = "0.5.7";

    private const string ProcessService = "/process.Process/";
    private const string FilesystemService = "/filesystem.Filesystem/";

    /// <summary>Answers one envd request for <paramref name="target"/> (path and method as the SDK sent them).</summary>
    public Task HandleAsync(HttpContext http, E2bSandboxTarget target, CancellationToken cancellationToken)
    {
        var path = http.Request.Path.Value ?? "";
        var method = http.Request.Method;
        if (path.StartsWith(ProcessService, StringComparison.Ordinal))
        {
            return HttpMethods.IsPost(method)
                ? process.Serve(path[ProcessService.Length..], http, target, cancellationToken) ?? NotServedAsync(http, cancellationToken)
                : RpcNeedsPostAsync(http, cancellationToken);
        }

        if (path.StartsWith(FilesystemService, StringComparison.Ordinal))
        {
            return HttpMethods.IsPost(method)
                ? filesystem.Serve(path[FilesystemService.Length..], http, target, cancellationToken) ?? NotServedAsync(http, cancellationToken)
                : RpcNeedsPostAsync(http, cancellationToken);
        }

        switch (path)
        {
            case "/files" when HttpMethods.IsGet(method):
                return files.DownloadAsync(http, target, cancellationToken);
            case "/files" when HttpMethods.IsPost(method):
                return files.UploadAsync(http, target, cancellationToken);
            case "/health" when HttpMethods.IsGet(method) || HttpMethods.IsHead(method):
                return HealthAsync(http, target, cancellationToken);
            case "/files" or "/health":
                http.Response.Headers.Allow = path == "/files" ? "GET, POST" : "GET, HEAD";
                return EnvdFiles.WriteErrorAsync(http, StatusCodes.Status405MethodNotAllowed, $"{method} is not served on {path}.", cancellationToken);
            default:
                return NotServedAsync(http, cancellationToken);
        }
    }

    /// <summary>204 while the sandbox runs; 502 once it was killed, expired or lost (the SDK's isRunning() reads false).</summary>
    private static async Task HealthAsync(HttpContext http, E2bSandboxTarget target, CancellationToken cancellationToken)
    {
        try
        {
            await target.Grain.GetInfoAsync();
        }
        catch (SoulBoxException e)
        {
            await EnvdFiles.WriteErrorAsync(http, StatusCodes.Status502BadGateway, e.Message, cancellationToken);
            return;
        }

        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary>Connect calls are POSTs (envd's SDK never uses Connect's GET form).</summary>
    private static Task RpcNeedsPostAsync(HttpContext http, CancellationToken cancellationToken)
    {
        http.Response.Headers.Allow = "POST";
        return ConnectUnary.WriteErrorAsync(http, new ConnectException(ConnectCodes.Unimplemented, "Connect calls are POST requests."), cancellationToken);
    }

    /// <summary>A path envd does not serve, or a method its service does not have: Connect's 404 "unimplemented".</summary>
    private static Task NotServedAsync(HttpContext http, CancellationToken cancellationToken)
    {
        http.Response.StatusCode = StatusCodes.Status404NotFound;
        http.Response.ContentType = ConnectUnary.ContentType;
        return http.Response.WriteAsync(
            ConnectEnvelope.ErrorJson(ConnectCodes.Unimplemented, $"envd here does not serve {http.Request.Method} {http.Request.Path}."), cancellationToken);
    }
}
