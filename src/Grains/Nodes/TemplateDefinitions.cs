using Microsoft.Extensions.Options;
using SoulBox.Grains.Containers;
using SoulBox.Grains.Hosting;

namespace SoulBox.Grains.Nodes;

/// <summary>Every template this node knows: SoulBox's own (<see cref="Templates"/>, images
/// "&lt;ImagePrefix&gt;&lt;name&gt;:latest", unchanged) merged with those registered in configuration
/// (<see cref="CustomTemplatesOptions"/>). What a template name means — its image, languages, user, home and defaults —
/// is asked here, never of the static <see cref="Templates"/> helpers, so a registered template behaves like a built-in.</summary>
public sealed class TemplateDefinitions
{
    private readonly Dictionary<string, TemplateDefinition> _byName = new(StringComparer.Ordinal);

    public TemplateDefinitions(IOptions<CustomTemplatesOptions> custom, IOptions<ContainerRuntimeOptions> runtime)
    {
        var prefix = runtime.Value.ImagePrefix;
        foreach (var name in Templates.All)
        {
            _byName[name] = new TemplateDefinition
            {
                Name = name,
                Image = $"{prefix}{name}:latest",
                Languages = Templates.LanguagesOf(name),
                User = Templates.User(name),
                Home = Templates.Home(name),
            };
        }

        foreach (var (name, options) in custom.Value.Templates)
        {
            var language = Languages.Normalize(options.Language) ?? Languages.Python;
            List<string> languages = [language];
            languages.AddRange(options.Languages.Select(Languages.Normalize).OfType<string>().Where(l => !languages.Contains(l)));
            _byName[name] = new TemplateDefinition
            {
                Name = name,
                Image = WithTag(options.Image ?? $"{prefix}{name}"),
                Languages = languages,
                User = options.User,
                Home = options.Home,
                Custom = true,
                MemoryMb = options.MemoryMb,
                Cpu = options.Cpu,
                TimeoutSeconds = options.TimeoutSeconds,
                MinWarm = options.MinWarm,
                Version = options.Version,
            };
        }

        Names = [.. Templates.All, .. custom.Value.Templates.Keys.Order(StringComparer.Ordinal)];
    }

    /// <summary>Built-in templates first, then the registered ones by name.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The registered (non-built-in) templates.</summary>
    public IEnumerable<TemplateDefinition> Custom => _byName.Values.Where(d => d.Custom);

    public TemplateDefinition? Find(string template) => _byName.GetValueOrDefault(template);

    /// <summary>The template's definition; an unknown name is a <see cref="SandboxValidationException"/> on "template".</summary>
    public TemplateDefinition Get(string template) => Find(template)
        ?? throw new SandboxValidationException("template", $"Unknown template '{template}'; known templates: {string.Join(", ", Names)}.");

    /// <summary>The language a run uses when it names none; Python for a name this node does not know (as before).</summary>
    public string DefaultLanguage(string template) => Find(template)?.DefaultLanguage ?? Templates.DefaultLanguage(template);

    public IReadOnlyList<string> LanguagesOf(string template) => Find(template)?.Languages ?? Templates.LanguagesOf(template);

    public string User(string template) => Find(template)?.User ?? Templates.User(template);

    public string Home(string template) => Find(template)?.Home ?? Templates.Home(template);

    public bool Supports(string template, string language) => Find(template)?.Supports(language) ?? Templates.Supports(template, language);

    public string ImageFor(string template) => Get(template).Image;

    /// <summary>"name" means "name:latest" to Docker; written out so it matches the engine's RepoTags.</summary>
    private static string WithTag(string image)
    {
        var lastSlash = image.LastIndexOf('/');
        return image.IndexOf('@', StringComparison.Ordinal) >= 0 || image.IndexOf(':', lastSlash + 1) >= 0 ? image : image + ":latest";
    }
}
