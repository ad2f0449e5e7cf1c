using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using SoulBox.Silo.Auth;
using SoulBox.Silo.Hosting;

namespace SoulBox.Silo.Api;

/// <summary>Files in a sandbox's writable areas (the template's home — /home/sandbox, /home/user in base and code-interpreter,
/// the base of relative paths — and /tmp).
/// Downloads and uploads stream in 1 MiB chunks; a large file never sits whole in the gateway.</summary>
public static class FilesApi
{
    private const int ChunkBytes = 1024 * 1024;

    /// <summary>Chunks one grain answer may carry to a download: Orleans otherwise gathers every chunk that is ready
    /// into one message; with this the gateway holds at most two chunks of a download besides the agent's window.</summary>
    private const int DownloadBatchChunks = 2;

    public static RouteGroupBuilder MapFilesApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/sandboxes/{id}/files").WithTags("Files");

        group.MapGet("/", DownloadAsync).WithName("DownloadFile")
            .WithSummary("Download a file (raw bytes)")
            .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream");
        group.MapPut("/", UploadAsync).WithName("UploadFile")
            .WithSummary("Upload a file (raw request body; replaces the file)")
            .Accepts<byte[]>("application/octet-stream");
        group.MapDelete("/", RemoveAsync).WithName("RemoveFile")
            .WithSummary("Remove a file, or a directory (recursive=true for a non-empty one)");
        group.MapGet("/list", ListAsync).WithName("ListFiles")
            .WithSummary("List a directory");
        group.MapGet("/stat", StatAsync).WithName("StatFile")
            .WithSummary("Read a file's or directory's details");
        group.MapPost("/mkdir", MakeDirectoryAsync).WithName("MakeDirectory")
            .WithSummary("Create a directory (and its parents)");
        return group;
    }

    internal static async Task<IResult> DownloadAsync(string id, string path, HttpContext http, SandboxAccess access)
    {
        var sandbox = await access.GetAsync(id, http.Tenant());
        var chunks = sandbox.ReadFileAsync(path, http.RequestAborted).WithBatchSize(DownloadBatchChunks).GetAsyncEnumerator(http.RequestAborted);
        bool more;
        try
        {
            more = await chunks.MoveNextAsync(); // A missing file or a directory fails here, before any byte is sent.
        }
        catch
        {
            await chunks.DisposeAsync();
            throw;
        }

        return TypedResults.Stream(async body =>
        {
            await using (chunks)
            {
                while (more)
                {
                    await body.WriteAsync(chunks.Current, http.RequestAborted);
                    more = await chunks.MoveNextAsync();
                }
            }
        }, "application/octet-stream", Path.GetFileName(path.TrimEnd('/')));
    }

    internal static async Task<Ok<SandboxFileInfo>> UploadAsync(string id, string path, HttpContext http, SandboxAccess access, IOptions<GatewayHttpOptions> options)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = options.Value.MaxUploadBytes;
        }

        var sandbox = await access.GetAsync(id, http.Tenant());
        var buffer = new byte[ChunkBytes];
        SandboxFileInfo? info = null;
        for (var chunk = 0; ; chunk++)
        {
            var read = await http.Request.Body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, http.RequestAborted);
            if (read == 0 && chunk > 0)
            {
                break;
            }

            info = await sandbox.WriteFileAsync(path, buffer[..read], append: chunk > 0, http.RequestAborted);
            if (read < buffer.Length)
            {
                break;
            }
        }

        return TypedResults.Ok(info!);
    }

    internal static async Task<NoContent> RemoveAsync(string id, string path, bool? recursive, HttpContext http, SandboxAccess access)
    {
        var sandbox = await access.GetAsync(id, http.Tenant());
        await sandbox.RemoveFileAsync(path, recursive ?? false, http.RequestAborted);
        return TypedResults.NoContent();
    }

    internal static async Task<Ok<SandboxFileInfo[]>> ListAsync(string id, string? path, HttpContext http, SandboxAccess access)
    {
        var sandbox = await access.GetAsync(id, http.Tenant());
        return TypedResults.Ok(await sandbox.ListFilesAsync(path ?? ".", http.RequestAborted));
    }

    internal static async Task<Ok<SandboxFileInfo>> StatAsync(string id, string path, HttpContext http, SandboxAccess access)
    {
        var sandbox = await access.GetAsync(id, http.Tenant());
        return TypedResults.Ok(await sandbox.StatFileAsync(path, http.RequestAborted));
    }

    internal static async Task<Created<SandboxFileInfo>> MakeDirectoryAsync(string id, string? path, PathBody? body, HttpContext http, SandboxAccess access)
    {
        var target = path ?? body?.Path ?? throw new SandboxValidationException("path", "Give the directory as ?path= or {\"path\": ...}.");
        var sandbox = await access.GetAsync(id, http.Tenant());
        await sandbox.MakeDirectoryAsync(target, http.RequestAborted);
        return TypedResults.Created($"/v1/sandboxes/{id}/files/stat?path={Uri.EscapeDataString(target)}", await sandbox.StatFileAsync(target, http.RequestAborted));
    }
}
