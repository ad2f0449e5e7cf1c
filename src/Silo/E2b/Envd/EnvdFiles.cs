using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using SoulBox.Silo.E2b.Envd.Connect;
using SoulBox.Silo.Hosting;

namespace SoulBox.Silo.E2b.Envd;

/// <summary>envd's plain HTTP file transfer. <c>GET /files?path=</c> streams the file's bytes as the grain reads them
/// (1 MiB chunks); <c>POST /files</c> takes <c>multipart/form-data</c> with one or more parts named <c>file</c>
/// whose file name is the target path (or the <c>?path=</c> of a single-file write), or a raw
/// <c>application/octet-stream</c> body with <c>?path=</c>; each file goes to the grain in 1 MiB chunks (the first
/// truncates, the rest append), so no upload sits whole in the gateway. Relative paths are under the sandbox user's
/// home. The <c>username</c> parameter is accepted and ignored: file access is always the sandbox user's (never
/// root). Errors are envd's JSON <c>{"code":&lt;status&gt;,"message":...}</c>: 400 bad path, 404 missing, 413 over the
/// node's upload limit, 507 no space left in the sandbox.</summary>
internal sealed class EnvdFiles(IOptions<GatewayHttpOptions> http, ILogger<EnvdService> logger)
{
    private const int ChunkBytes = 1024 * 1024;
    private const int DownloadBatchChunks = 2;

    private readonly long _maxUploadBytes = http.Value.MaxUploadBytes;

    public async Task DownloadAsync(HttpContext http, E2bSandboxTarget target, CancellationToken cancellationToken)
    {
        var path = http.Request.Query["path"].ToString();
        if (path.Length == 0)
        {
            await WriteErrorAsync(http, StatusCodes.Status400BadRequest, "Give the file as ?path=.", cancellationToken);
            return;
        }

        var chunks = target.Grain.ReadFileAsync(path, cancellationToken).WithBatchSize(DownloadBatchChunks).GetAsyncEnumerator(cancellationToken);
        await using (chunks)
        {
            bool more;
            try
            {
                more = await chunks.MoveNextAsync(); // a missing file or a directory fails here, before the status is sent
            }
            catch (SoulBoxException e)
            {
                await WriteErrorAsync(http, StatusOf(e), e.Message, cancellationToken);
                return;
            }

            http.Response.StatusCode = StatusCodes.Status200OK;
            http.Response.ContentType = "application/octet-stream";
            while (more)
            {
                await http.Response.Body.WriteAsync(chunks.Current, cancellationToken);
                more = await chunks.MoveNextAsync();
            }
        }
    }

    public async Task UploadAsync(HttpContext http, E2bSandboxTarget target, CancellationToken cancellationToken)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = _maxUploadBytes;
        }

        var queryPath = http.Request.Query["path"].ToString();
        var written = new List<SandboxFileInfo>();
        try
        {
            if (MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var media)
                && media.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            {
                var boundary = HeaderUtilities.RemoveQuotes(media.Boundary).Value;
                if (string.IsNullOrEmpty(boundary))
                {
                    throw new UploadException(StatusCodes.Status400BadRequest, "The multipart body has no boundary.");
                }

                var reader = new MultipartReader(boundary, http.Request.Body) { BodyLengthLimit = _maxUploadBytes };
                while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
                {
                    if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                        || !disposition.IsFileDisposition())
                    {
                        continue; // not a file part
                    }

                    var fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
                    var path = queryPath.Length > 0 ? queryPath : fileName;
                    if (string.IsNullOrEmpty(path))
                    {
                        throw new UploadException(StatusCodes.Status400BadRequest, "A file part has neither a file name nor ?path=.");
                    }

                    written.Add(await WriteAsync(target, path, section.Body, cancellationToken));
                }
            }
            else
            {
                if (queryPath.Length == 0)
                {
                    throw new UploadException(StatusCodes.Status400BadRequest, "An octet-stream upload needs ?path=.");
                }

                written.Add(await WriteAsync(target, queryPath, http.Request.Body, cancellationToken));
            }

            if (written.Count == 0)
            {
                throw new UploadException(StatusCodes.Status400BadRequest, "The upload has no part named file.");
            }
        }
        catch (UploadException e)
        {
            await WriteErrorAsync(http, e.Status, e.Message, cancellationToken);
            return;
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await RefuseTooLargeAsync(http, cancellationToken);
            return;
        }
        catch (InvalidDataException e) when (e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase))
        {
            await RefuseTooLargeAsync(http, cancellationToken); // the multipart reader's body length limit
            return;
        }
        catch (InvalidDataException e)
        {
            await WriteErrorAsync(http, StatusCodes.Status400BadRequest, $"The multipart body is malformed: {e.Message}", cancellationToken);
            return;
        }
        catch (SoulBoxException e)
        {
            EnvdLog.UploadRefused(logger, queryPath, e.Code);
            await WriteErrorAsync(http, StatusOf(e), e.Message, cancellationToken);
            return;
        }

        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(http.Response.BodyWriter);
        json.WriteStartArray();
        foreach (var file in written)
        {
            json.WriteStartObject();
            json.WriteString("path", file.Path);
            json.WriteString("name", file.Name);
            json.WriteString("type", "file");
            json.WriteEndObject();
        }

        json.WriteEndArray();
        await json.FlushAsync(cancellationToken);
    }

    /// <summary>Streams <paramref name="body"/> into the file in chunks; an empty body still creates (or empties) it.</summary>
    private static async Task<SandboxFileInfo> WriteAsync(E2bSandboxTarget target, string path, Stream body, CancellationToken cancellationToken)
    {
        var buffer = new byte[ChunkBytes];
        SandboxFileInfo? info = null;
        for (var chunk = 0; ; chunk++)
        {
            var read = await body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
            if (read == 0 && chunk > 0)
            {
                break;
            }

            info = await target.Grain.WriteFileAsync(path, buffer[..read], append: chunk > 0, cancellationToken);
            if (read < buffer.Length)
            {
                break;
            }
        }

        return info!;
    }

    private Task RefuseTooLargeAsync(HttpContext http, CancellationToken cancellationToken) =>
        WriteErrorAsync(http, StatusCodes.Status413PayloadTooLarge, $"The upload is larger than this node accepts ({_maxUploadBytes} bytes).", cancellationToken);

    /// <summary>envd's HTTP status of a SoulBox error (the SDK turns 400, 404 and 507 into its own error types).</summary>
    internal static int StatusOf(SoulBoxException e) => e.Code switch
    {
        ErrorCodes.FileNotFound => StatusCodes.Status404NotFound,
        ErrorCodes.Validation or ErrorCodes.PathEscape or ErrorCodes.IsDirectory or ErrorCodes.NotDirectory => StatusCodes.Status400BadRequest,
        ErrorCodes.PermissionDenied => StatusCodes.Status403Forbidden,
        ErrorCodes.TooLarge => StatusCodes.Status413PayloadTooLarge,
        ErrorCodes.NoSpace => StatusCodes.Status507InsufficientStorage,
        ErrorCodes.TooManyRequests or ErrorCodes.TenantShareExceeded => StatusCodes.Status429TooManyRequests,
        ErrorCodes.SandboxNotFound or ErrorCodes.SandboxNotRunning or ErrorCodes.SandboxExpired or ErrorCodes.SandboxLost => StatusCodes.Status502BadGateway,
        ErrorCodes.NoCapacity => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    internal static async Task WriteErrorAsync(HttpContext http, int status, string message, CancellationToken cancellationToken)
    {
        if (http.Response.HasStarted)
        {
            return;
        }

        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(http.Response.BodyWriter);
        json.WriteStartObject();
        json.WriteNumber("code", status);
        json.WriteString("message", message);
        json.WriteEndObject();
        await json.FlushAsync(cancellationToken);
    }

    private sealed class UploadException(int status, string message) : Exception(message)
    {
        public int Status { get; } = status;
    }
}
