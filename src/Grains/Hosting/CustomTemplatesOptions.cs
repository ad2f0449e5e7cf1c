using System.Globalization;
using System.Text.RegularExpressions;
using SoulBox.Grains.Pool;

namespace SoulBox.Grains.Hosting;

/// <summary>Templates an operator registers besides SoulBox's own (configuration section "SoulBox:Templates", one
/// subsection per template name), validated at start-up against the node's bounds.</summary>
public sealed partial class CustomTemplatesOptions
{
    public const string SectionName = "SoulBox:Templates";

    /// <summary>Custom templates by name. Default none.</summary>
    public Dictionary<string, CustomTemplateOptions> Templates { get; } = new(StringComparer.Ordinal);

    // Directories a home must not be or lie in: the tmpfs mounts the runtime adds itself, what the agent and
    // accounts are mounted over, and kernel filesystems.
    private static readonly string[] ReservedDirectories = ["/tmp", "/dev", "/proc", "/sys", "/etc", "/opt/soulbox", "/run/soulbox"];

    public IEnumerable<string> Validate(SandboxOptions sandbox, PoolOptions pool)
    {
        foreach (var (name, template) in Templates)
        {
            var setting = $"{SectionName}:{name}";
            if (!TemplateName().IsMatch(name))
            {
                yield return $"{setting}: a template name is 1-32 lowercase letters, digits or '-', starting with a letter or digit.";
                continue;
            }

            if (SoulBox.Templates.All.Contains(name))
            {
                yield return $"{setting}: '{name}' is one of SoulBox's own templates ({string.Join(", ", SoulBox.Templates.All)}); pick another name.";
            }

            if (template.Image is { } image && !IsImageReference(image))
            {
                yield return $"{setting}:Image '{image}' is not an image reference such as soulbox/{name}:latest or registry.example:5000/team/{name}:1.2.";
            }

            if (string.IsNullOrWhiteSpace(template.Language))
            {
                yield return $"{setting}:Language is required: the language a run uses when it names none ({string.Join(", ", Languages.All)}).";
            }
            else if (Languages.Normalize(template.Language) is null)
            {
                yield return $"{setting}:Language '{template.Language}' is not a language SoulBox runs ({string.Join(", ", Languages.All)}).";
            }

            for (var i = 0; i < template.Languages.Length; i++)
            {
                if (Languages.Normalize(template.Languages[i]) is null)
                {
                    yield return $"{setting}:Languages:{i} '{template.Languages[i]}' is not a language SoulBox runs ({string.Join(", ", Languages.All)}).";
                }
            }

            if (!UserName().IsMatch(template.User) || template.User is "root" or "nobody")
            {
                yield return $"{setting}:User '{template.User}' must be a user name (lowercase letters, digits, '_' or '-', at most 32), not root or nobody.";
            }

            if (!IsHome(template.Home))
            {
                yield return $"{setting}:Home '{template.Home}' must be an absolute, normalized directory path of letters, digits, '.', '_', '-' and '/' (at most 100 characters), not / and not in {string.Join(", ", ReservedDirectories)}.";
            }

            if (template.MemoryMb is { } memory && (memory < 32 || memory > sandbox.MaxMemoryMb))
            {
                yield return $"{setting}:MemoryMb must be between 32 and {SandboxOptions.SectionName}:MaxMemoryMb ({sandbox.MaxMemoryMb}); got {memory}.";
            }

            if (template.Cpu is { } cpu && (double.IsNaN(cpu) || cpu < 0.05 || cpu > sandbox.MaxCpu))
            {
                yield return $"{setting}:Cpu must be between 0.05 and {SandboxOptions.SectionName}:MaxCpu ({sandbox.MaxCpu.ToString(CultureInfo.InvariantCulture)}); got {cpu.ToString(CultureInfo.InvariantCulture)}.";
            }

            if (template.TimeoutSeconds is { } timeout && (timeout < 1 || timeout > sandbox.MaxTimeoutSeconds))
            {
                yield return $"{setting}:TimeoutSeconds must be between 1 and {SandboxOptions.SectionName}:MaxTimeoutSeconds ({sandbox.MaxTimeoutSeconds}); got {timeout}.";
            }

            if (template.MinWarm < 0 || template.MinWarm > pool.MaxWarmPerTemplate)
            {
                yield return $"{setting}:MinWarm must be between 0 and {PoolOptions.SectionName}:MaxWarmPerTemplate ({pool.MaxWarmPerTemplate}); got {template.MinWarm}.";
            }
        }
    }

    /// <summary>A name a registered template may have: 1-32 lowercase letters, digits or '-', not starting with '-'.</summary>
    public static bool IsTemplateName(string value) => TemplateName().IsMatch(value);

    /// <summary>A Docker image reference: [host[:port]/]path[:tag][@sha256:digest], path components lowercase.</summary>
    public static bool IsImageReference(string value) => value.Length <= 255 && ImageReference().IsMatch(value);

    private static bool IsHome(string path) =>
        path.Length is > 1 and <= 100
        && path[0] == '/'
        && !path.EndsWith('/')
        && path.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '/')
        && path.Split('/').Skip(1).All(segment => segment is not ("" or "." or ".."))
        && !ReservedDirectories.Any(reserved => path == reserved || path.StartsWith(reserved + "/", StringComparison.Ordinal));

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,31}$")]
    private static partial Regex TemplateName();

    [GeneratedRegex("^[a-z_][a-z0-9_-]{0,31}$")]
    private static partial Regex UserName();

    [GeneratedRegex(@"^(?:(?:localhost|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|[A-Za-z0-9-]+:[0-9]+|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+:[0-9]+)/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$")]
    private static partial Regex ImageReference();
}
