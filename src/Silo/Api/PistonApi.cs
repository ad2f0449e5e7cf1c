using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using SoulBox.Grains;
using SoulBox.Silo.Auth;

namespace SoulBox.Silo.Api;

/// <summary>Piston's v2 API (<c>/api/v2/runtimes</c>, <c>/api/v2/execute</c>) with Piston's request and response
/// shapes, so an existing Piston client pointed at SoulBox works unchanged. Errors carry Piston's <c>message</c>.
/// A request's <c>version</c> is matched against the installed one as Piston does (<see cref="PistonVersionRange"/>:
/// exact, partial, <c>*</c>, one comparator); a version no installed runtime satisfies is Piston's 400
/// <c>&lt;language&gt;-&lt;version&gt; runtime is unknown</c>, never a silent run on another version.</summary>
public static class PistonApi
{
    public static RouteGroupBuilder MapPistonApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v2").WithTags("Piston");
        group.MapGet("/runtimes", RuntimesAsync).WithName("PistonRuntimes")
            .WithSummary("Piston: languages, versions and aliases");
        group.MapPost("/execute", ExecuteAsync).WithName("PistonExecute")
            .WithSummary("Piston: run a program once (compile and run stages)");
        return group;
    }

    /// <summary>One runtime per language of <see cref="Languages.Table"/> that has Piston names and whose template
    /// a node has (templates that also run it, base and code-interpreter, are not Piston runtimes); bash runs in
    /// the Python template.</summary>
    internal static async Task<Ok<PistonRuntime[]>> RuntimesAsync(IGrainFactory grains)
    {
        var templates = (await grains.GetGrain<ISandboxFactoryGrain>(0).GetTemplatesAsync()).ToDictionary(t => t.Name);
        List<PistonRuntime> runtimes = [];
        foreach (var spec in Languages.Table)
        {
            if (spec.PistonAliases is { } aliases && templates.TryGetValue(spec.Template, out var template))
            {
                runtimes.Add(new PistonRuntime(spec.PistonName ?? spec.Name, VersionOf(spec, template), aliases, spec.PistonRuntime));
            }
        }

        return TypedResults.Ok(runtimes.OrderBy(r => r.Language, StringComparer.Ordinal).ToArray());
    }

    internal static async Task<Results<Ok<PistonResponse>, BadRequest<PistonMessage>>> ExecuteAsync(PistonRequest body, HttpContext http, IGrainFactory grains)
    {
        if (body.Language is not { Length: > 0 })
        {
            return TypedResults.BadRequest(new PistonMessage("language is required as a string"));
        }

        if (body.Version is not { Length: > 0 })
        {
            return TypedResults.BadRequest(new PistonMessage("version is required as a string"));
        }

        if (body.Files is null)
        {
            return TypedResults.BadRequest(new PistonMessage("files is required as an array"));
        }

        for (var i = 0; i < body.Files.Length; i++)
        {
            if (body.Files[i]?.Content is null)
            {
                return TypedResults.BadRequest(new PistonMessage($"files[{i}].content is required as a string"));
            }
        }

        var factory = grains.GetGrain<ISandboxFactoryGrain>(0);
        var spec = Languages.Find(body.Language);
        var template = spec is null ? null : (await factory.GetTemplatesAsync()).FirstOrDefault(t => t.Name == spec.Template);
        var installed = spec is null || template is null ? null : VersionOf(spec, template);
        if (spec is null || installed is null || !PistonVersionRange.Satisfies(installed, body.Version))
        {
            return TypedResults.BadRequest(new PistonMessage($"{body.Language}-{body.Version} runtime is unknown"));
        }

        foreach (var (name, value) in new[] { ("run_timeout", body.RunTimeout), ("compile_timeout", body.CompileTimeout) })
        {
            if (value < 0)
            {
                return TypedResults.BadRequest(new PistonMessage($"{name} must be non-negative"));
            }
        }

        var stdin = body.Stdin ?? "";
        if (!stdin.EndsWith('\n'))
        {
            stdin += "\n"; // As Piston does.
        }

        var memory = Mebibytes(body.RunMemoryLimit);
        var result = await grains.ExecuteAsync(new ExecuteRequest
        {
            Language = spec.Name,
            Files = [.. body.Files.Select(f => new SourceFile { Name = f!.Name, Content = f.Encoding == "hex" ? Convert.ToBase64String(Convert.FromHexString(f.Content!)) : f.Content!, Encoding = f.Encoding is "base64" or "hex" ? "base64" : "utf8" })],
            Stdin = stdin,
            Args = body.Args,
            Limits = new ExecutionLimits
            {
                RunTimeoutMs = body.RunTimeout is > 0 ? (int)Math.Min(body.RunTimeout.Value, int.MaxValue) : null,
                CompileTimeoutMs = body.CompileTimeout is > 0 ? (int)Math.Min(body.CompileTimeout.Value, int.MaxValue) : null,
                MemoryMb = memory,
                // Piston's compile_memory_limit: the compile stage's own limit (CompileMemory), -1 or absent the default.
                CompileMemoryMb = Mebibytes(body.CompileMemoryLimit),
            },
        }, http.Tenant(), http.RequestAborted);

        var compile = result.Compile is { } c ? Stage(c) : null;
        return TypedResults.Ok(new PistonResponse
        {
            Language = spec.PistonName ?? spec.Name,
            Version = installed,
            Run = result.Run is { } run ? Stage(run) : compile ?? Stage(result),
            Compile = compile,
        });
    }

    /// <summary>A Piston memory limit (bytes; -1 or absent: none given) in MiB, rounded up.</summary>
    private static int? Mebibytes(long? bytes) => bytes is > 0 ? Math.Max(1, (int)Math.Min(int.MaxValue, (long)Math.Ceiling(bytes.Value / (1024.0 * 1024)))) : null;

    /// <summary>bookworm's bash (every image has it; its version is not read from each image).</summary>
    private const string ShellVersion = "5.2.15";

    private static string VersionOf(LanguageSpec spec, TemplateInfo template) =>
        spec.Name == Languages.Shell ? ShellVersion : template.VersionOf(spec.Name) is { Length: > 0 } v ? v : "0.0.0";

    private static PistonStage Stage(CommandResult r) =>
        Stage(r.Status, r.Stdout, r.Stderr, r.ExitCode, r.Signal, r.WallTimeMs, r.CpuTimeMs, r.PeakMemoryBytes);

    private static PistonStage Stage(ExecuteResult r) =>
        Stage(r.Status, r.Stdout, r.Stderr, r.ExitCode, r.Signal, r.WallTimeMs, r.CpuTimeMs, r.PeakMemoryBytes);

    private static PistonStage Stage(ExecutionStatus status, string stdout, string stderr, int? exitCode, int? signal, double wallMs, double cpuMs, long memory)
    {
        // Piston (isolate): TO timeout, OL/EL output limits, SG killed by a signal, RE non-zero exit; null when fine.
        var killed = status is ExecutionStatus.Timeout or ExecutionStatus.MemoryLimit or ExecutionStatus.OutputLimit;
        var signalName = killed ? "SIGKILL" : signal is { } s ? SignalName(s) : null;
        var (code, message) = status switch
        {
            ExecutionStatus.Ok => (null, null),
            ExecutionStatus.Timeout => ("TO", "Time limit exceeded"),
            ExecutionStatus.MemoryLimit => ("SG", "Memory limit exceeded"),
            ExecutionStatus.OutputLimit => ("OL", "Output limit exceeded"),
            _ when signalName is not null => ("SG", $"Caught fatal signal {signal}"),
            _ => ((string?)"RE", (string?)$"Exited with error status {exitCode}"),
        };
        return new PistonStage
        {
            Stdout = stdout,
            Stderr = stderr,
            Output = stdout + stderr,
            Code = signalName is null ? exitCode : null,
            Signal = signalName,
            Message = message,
            Status = code,
            CpuTime = Math.Round(cpuMs),
            WallTime = Math.Round(wallMs),
            Memory = memory,
        };
    }

    private static string SignalName(int signal) => signal switch
    {
        1 => "SIGHUP", 2 => "SIGINT", 3 => "SIGQUIT", 4 => "SIGILL", 5 => "SIGTRAP", 6 => "SIGABRT", 7 => "SIGBUS", 8 => "SIGFPE",
        9 => "SIGKILL", 10 => "SIGUSR1", 11 => "SIGSEGV", 12 => "SIGUSR2", 13 => "SIGPIPE", 14 => "SIGALRM", 15 => "SIGTERM",
        24 => "SIGXCPU", 25 => "SIGXFSZ",
        _ => $"SIG{signal}",
    };
}

public sealed record PistonRuntime(
    [property: JsonPropertyName("language")] string Language,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("aliases")] string[] Aliases,
    [property: JsonPropertyName("runtime"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Runtime);

public sealed record PistonMessage([property: JsonPropertyName("message")] string Message);

public sealed record PistonFile
{
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("content")] public string? Content { get; init; }
    [JsonPropertyName("encoding")] public string? Encoding { get; init; }
}

public sealed record PistonRequest
{
    /// <summary>Reads the body as JSON whatever its Content-Type says: published Piston clients (piston-client on npm)
    /// POST JSON without <c>Content-Type: application/json</c>, and Piston itself accepts it. Malformed JSON is a 400.</summary>
    public static async ValueTask<PistonRequest?> BindAsync(HttpContext http)
    {
        var json = http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value;
        return await JsonSerializer.DeserializeAsync<PistonRequest>(http.Request.Body, json.SerializerOptions, http.RequestAborted)
            ?? throw new BadHttpRequestException("The body must be a JSON object.");
    }

    [JsonPropertyName("language")] public string? Language { get; init; }
    [JsonPropertyName("version")] public string? Version { get; init; }
    [JsonPropertyName("files")] public PistonFile?[]? Files { get; init; }
    [JsonPropertyName("stdin")] public string? Stdin { get; init; }
    [JsonPropertyName("args")] public string[]? Args { get; init; }
    [JsonPropertyName("compile_timeout")] public long? CompileTimeout { get; init; }
    [JsonPropertyName("run_timeout")] public long? RunTimeout { get; init; }
    [JsonPropertyName("compile_cpu_time")] public long? CompileCpuTime { get; init; }
    [JsonPropertyName("run_cpu_time")] public long? RunCpuTime { get; init; }
    [JsonPropertyName("compile_memory_limit")] public long? CompileMemoryLimit { get; init; }
    [JsonPropertyName("run_memory_limit")] public long? RunMemoryLimit { get; init; }
}

public sealed record PistonResponse
{
    [JsonPropertyName("language")] public required string Language { get; init; }
    [JsonPropertyName("version")] public required string Version { get; init; }
    [JsonPropertyName("run")] public required PistonStage Run { get; init; }
    [JsonPropertyName("compile"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public PistonStage? Compile { get; init; }
}

public sealed record PistonStage
{
    [JsonPropertyName("stdout")] public string Stdout { get; init; } = "";
    [JsonPropertyName("stderr")] public string Stderr { get; init; } = "";
    [JsonPropertyName("output")] public string Output { get; init; } = "";
    [JsonPropertyName("code"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] public int? Code { get; init; }
    [JsonPropertyName("signal"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] public string? Signal { get; init; }
    [JsonPropertyName("message"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] public string? Message { get; init; }
    [JsonPropertyName("status"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] public string? Status { get; init; }
    [JsonPropertyName("cpu_time")] public double CpuTime { get; init; }
    [JsonPropertyName("wall_time")] public double WallTime { get; init; }
    [JsonPropertyName("memory")] public long Memory { get; init; }
}
