using SoulBox.Grains.Hosting;
using SoulBox.Grains.Nodes;

namespace SoulBox.Grains.Sandboxes;

/// <summary>Checks caller input against the node's bounds and fills in defaults. Every failure is a
/// <see cref="SandboxValidationException"/> naming the field, or for sizes a <see cref="RequestTooLargeException"/>.
/// Templates are this node's <paramref name="templates"/> (built-in and registered; only the built-in ones without),
/// and a registered template's default limits stand in for the node's.</summary>
internal sealed class SandboxRequestValidator(SandboxOptions options, TemplateDefinitions? templates = null)
{
    public SandboxCreateOptions Create(SandboxCreateOptions request)
    {
        var template = request.Template?.Trim().ToLowerInvariant() ?? "";
        var known = templates?.Names ?? Templates.All;
        if (!known.Contains(template))
        {
            throw new SandboxValidationException("template", $"Unknown template '{request.Template}'; known templates: {string.Join(", ", known)}.");
        }

        var definition = templates?.Find(template);
        var timeout = request.TimeoutSeconds ?? definition?.TimeoutSeconds ?? options.DefaultTimeoutSeconds;
        LifetimeSeconds(timeout, "timeoutSeconds");
        var memory = MemoryMb(request.MemoryMb ?? definition?.MemoryMb);

        var cpu = request.Cpu ?? definition?.Cpu ?? options.DefaultCpu;
        if (double.IsNaN(cpu) || cpu < 0.05 || cpu > options.MaxCpu)
        {
            throw new SandboxValidationException("cpu", $"cpu must be between 0.05 and {options.MaxCpu}; got {cpu}.");
        }

        Pairs(request.Env, "env", requireEnvName: true);
        Pairs(request.Metadata, "metadata", requireEnvName: false);
        if (request.SandboxIdEnv is { } idEnv)
        {
            if (idEnv.Length > 8)
            {
                throw new SandboxValidationException("sandboxIdEnv", "sandboxIdEnv names at most 8 variables.");
            }

            Pairs(idEnv.Distinct().ToDictionary(name => name ?? "", _ => ""), "sandboxIdEnv", requireEnvName: true);
        }

        return request with { Template = template, TimeoutSeconds = timeout, MemoryMb = memory, Cpu = cpu };
    }

    /// <summary>Stdin of a command or a one-shot run: more than MaxStdinBytes is a 413 naming the limit and its setting.</summary>
    public void StdinBytes(long bytes)
    {
        if (bytes > options.MaxStdinBytes)
        {
            throw new RequestTooLargeException("stdin", options.MaxStdinBytes,
                $"stdin is {bytes} bytes; the limit is {options.MaxStdinBytes} bytes ({SandboxOptions.SectionName}:MaxStdinBytes).");
        }
    }

    public int MemoryMb(int? requested, string field = "memoryMb")
    {
        var memory = requested ?? options.DefaultMemoryMb;
        if (memory < 32 || memory > options.MaxMemoryMb)
        {
            throw new SandboxValidationException(field, $"{field} must be between 32 and {options.MaxMemoryMb}; got {memory}.");
        }

        return memory;
    }

    public int LifetimeSeconds(int seconds, string field)
    {
        if (seconds <= 0 || seconds > options.MaxTimeoutSeconds)
        {
            throw new SandboxValidationException(field, $"{field} must be between 1 and {options.MaxTimeoutSeconds} seconds; got {seconds}.");
        }

        return seconds;
    }

    public int RunTimeoutMs(int? timeoutMs, int defaultMs, string field = "timeoutMs")
    {
        var value = timeoutMs ?? defaultMs;
        if (value <= 0 || value > options.MaxRunTimeoutMs)
        {
            throw new SandboxValidationException(field, $"{field} must be between 1 and {options.MaxRunTimeoutMs} ms; got {value}.");
        }

        return value;
    }

    public long MaxOutputBytes(long? requested, string field = "maxOutputBytes")
    {
        var value = requested ?? options.DefaultMaxOutputBytes;
        if (value <= 0 || value > options.MaxOutputBytes)
        {
            throw new SandboxValidationException(field, $"{field} must be between 1 and {options.MaxOutputBytes}; got {value}.");
        }

        return value;
    }

    public string Code(string? code, string field = "code")
    {
        if (string.IsNullOrWhiteSpace(code))
        {
            throw new SandboxValidationException(field, "Code is empty.");
        }

        if (System.Text.Encoding.UTF8.GetByteCount(code) > options.MaxCodeBytes)
        {
            throw new SandboxValidationException(field, $"Code is larger than the {options.MaxCodeBytes}-byte limit.");
        }

        return code;
    }

    public string Language(string? language, string? fallback)
    {
        var requested = language ?? fallback;
        return Languages.Normalize(requested)
            ?? throw new SandboxValidationException("language", $"Unknown language '{requested}'; known languages: {string.Join(", ", Languages.All)}.");
    }

    public void Pairs(IReadOnlyDictionary<string, string>? pairs, string field, bool requireEnvName)
    {
        if (pairs is null)
        {
            return;
        }

        if (pairs.Count > options.MaxMetadataEntries * 4)
        {
            throw new SandboxValidationException(field, $"{field} has too many entries ({pairs.Count}).");
        }

        foreach (var (key, value) in pairs)
        {
            if (string.IsNullOrEmpty(key) || key.Length > 256 || (value?.Length ?? 0) > 32 * 1024 || key.Contains('\0') || (value?.Contains('\0') ?? false))
            {
                throw new SandboxValidationException(field, $"{field} entry '{key}' is empty, too long or contains NUL.");
            }

            if (requireEnvName && (key.Contains('=') || char.IsAsciiDigit(key[0])))
            {
                throw new SandboxValidationException(field, $"'{key}' is not a valid environment variable name.");
            }
        }
    }
}
