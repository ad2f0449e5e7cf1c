using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using SoulBox.Grains;
using SoulBox.Silo.Auth;
using SoulBox.Silo.Hosting;

namespace SoulBox.Silo.Api;

/// <summary>A batch whose inputs come as files: <c>POST /v1/execute</c> with a <c>multipart/form-data</c> body whose
/// first part, named <c>request</c>, is the batch's JSON, and whose further parts are input files (named by their file
/// name, else by the part's name) that cases use through <c>stdinFile</c> / <c>expectedOutputFile</c>. The parts are
/// read as they arrive and streamed on to the node that runs the batch in 1 MiB chunks, so neither the gateway nor
/// one message holds a whole file; the body may reach SoulBox:Http:MaxUploadBytes.</summary>
internal static class MultipartBatch
{
    public const string ContentType = "multipart/form-data";

    public static async Task<ExecuteBatchResult> ExecuteAsync(HttpContext http, IGrainFactory grains, IOptions<JsonOptions> json, IOptions<GatewayHttpOptions> options)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = options.Value.MaxUploadBytes;
        }

        if (!MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var media)
            || HeaderUtilities.RemoveQuotes(media.Boundary).Value is not { Length: > 0 } boundary)
        {
            throw new SandboxValidationException("body", "A multipart/form-data body needs its boundary in the Content-Type.");
        }

        var reader = new MultipartReader(boundary, http.Request.Body) { BodyLengthLimit = options.Value.MaxUploadBytes };
        try
        {
            var first = await reader.ReadNextSectionAsync(http.RequestAborted);
            if (first is null || PartName(first) != "request")
            {
                throw new SandboxValidationException("request",
                    "The first part of a multipart batch must be its JSON, named 'request' (Content-Disposition: form-data; name=\"request\"); the input files follow it.");
            }

            var body = await JsonSerializer.DeserializeAsync<ExecuteBody>(first.Body, json.Value.SerializerOptions, http.RequestAborted)
                ?? throw new SandboxValidationException("request", "The 'request' part must be a JSON object.");
            if (body.Cases is null)
            {
                throw new SandboxValidationException("cases", "A multipart body is a batch: its request needs cases.");
            }

            return await grains.ExecuteBatchAsync(body.ToBatch(), http.Tenant(), async (files, cancellationToken) =>
            {
                while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
                {
                    var name = FileName(section) ?? PartName(section)
                        ?? throw new SandboxValidationException("files", "An input file part has neither a file name nor a name.");
                    await files.WriteAsync(name, section.Body, cancellationToken);
                }
            }, http.RequestAborted);
        }
        catch (InvalidDataException e) when (e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase))
        {
            throw new RequestTooLargeException("body", options.Value.MaxUploadBytes,
                $"The multipart body is larger than {options.Value.MaxUploadBytes} bytes ({GatewayHttpOptions.SectionName}:MaxUploadBytes).");
        }
        catch (InvalidDataException e)
        {
            throw new SandboxValidationException("body", $"The multipart body is malformed: {e.Message}");
        }
    }

    private static string? PartName(MultipartSection section) =>
        ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) && HeaderUtilities.RemoveQuotes(disposition.Name).Value is { Length: > 0 } name
            ? name
            : null;

    private static string? FileName(MultipartSection section) =>
        ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
        && HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value is { Length: > 0 } name
            ? name
            : null;
}
