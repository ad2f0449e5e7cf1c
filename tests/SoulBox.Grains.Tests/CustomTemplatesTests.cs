using Microsoft.Extensions.Options;
using SoulBox.Grains.Containers;
using SoulBox.Grains.Hosting;
using SoulBox.Grains.Nodes;
using SoulBox.Grains.Pool;
using SoulBox.Grains.Sandboxes;

namespace SoulBox.Grains.Tests;

/// <summary>Templates registered in configuration (SoulBox:Templates): what a setting means, and start-up validation
/// that names the bad setting. Docker-free; the real-node behaviour is in SoulBox.Silo.Tests' CustomTemplateTests.</summary>
public sealed class CustomTemplatesTests
{
    private static readonly SandboxOptions Sandbox = new() { MaxMemoryMb = 2048, MaxCpu = 2, MaxTimeoutSeconds = 600 };

    private static TemplateDefinitions Definitions(CustomTemplatesOptions custom) =>
        new(Options.Create(custom), Options.Create(new ContainerRuntimeOptions()));

    private static CustomTemplatesOptions With(string name, CustomTemplateOptions template)
    {
        var options = new CustomTemplatesOptions();
        options.Templates[name] = template;
        return options;
    }

    private static string[] Problems(string name, CustomTemplateOptions template) =>
        [.. With(name, template).Validate(Sandbox, new PoolOptions())];

    [Fact]
    public void TheBuiltInTemplates_MeanWhatTheStaticHelpersSay()
    {
        var definitions = Definitions(new CustomTemplatesOptions());
        Assert.Equal(Templates.All, definitions.Names);
        foreach (var template in Templates.All)
        {
            var definition = definitions.Get(template);
            Assert.Equal($"soulbox/{template}:latest", definition.Image);
            Assert.Equal(Templates.LanguagesOf(template), definition.Languages);
            Assert.Equal(Templates.DefaultLanguage(template), definition.DefaultLanguage);
            Assert.Equal(Templates.User(template), definition.User);
            Assert.Equal(Templates.Home(template), definition.Home);
            Assert.False(definition.Custom);
            Assert.Null(definition.MemoryMb);
        }
    }

    [Fact]
    public void ARegisteredTemplate_GetsTheDefaultImageUserAndHome_AndItsLanguagesAfterTheDefault()
    {
        var definitions = Definitions(With("datasci", new CustomTemplateOptions { Language = "py", Languages = ["js", "python"], MemoryMb = 1024 }));

        var datasci = definitions.Get("datasci");
        Assert.Equal("soulbox/datasci:latest", datasci.Image);
        Assert.Equal([Languages.Python, Languages.JavaScript], datasci.Languages);
        Assert.Equal("sandbox", datasci.User);
        Assert.Equal("/home/sandbox", datasci.Home);
        Assert.Equal(1024, datasci.MemoryMb);
        Assert.True(definitions.Supports("datasci", Languages.Shell));
        Assert.False(definitions.Supports("datasci", Languages.Go));
        Assert.Equal([.. Templates.All, "datasci"], definitions.Names);
    }

    [Theory]
    [InlineData("ubuntu-based", "ubuntu-based:latest")]
    [InlineData("ubuntu-based:1", "ubuntu-based:1")]
    [InlineData("localhost:5000/team/ml", "localhost:5000/team/ml:latest")]
    [InlineData("registry.example/ml@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "registry.example/ml@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void AnImageWithoutATag_MeansLatest(string configured, string image)
    {
        Assert.Empty(Problems("ml", new CustomTemplateOptions { Image = configured, Language = "python" }));
        Assert.Equal(image, Definitions(With("ml", new CustomTemplateOptions { Image = configured, Language = "python" })).Get("ml").Image);
    }

    [Fact]
    public void ARegisteredTemplatesDefaultLimits_ApplyWhenTheCallerGivesNone()
    {
        var definitions = Definitions(With("big", new CustomTemplateOptions { Language = "python", MemoryMb = 1024, Cpu = 2, TimeoutSeconds = 120 }));
        var validator = new SandboxRequestValidator(Sandbox, definitions);

        var defaults = validator.Create(new SandboxCreateOptions { Template = "big" });
        var asked = validator.Create(new SandboxCreateOptions { Template = "big", MemoryMb = 256, Cpu = 0.5, TimeoutSeconds = 30 });
        var builtIn = validator.Create(new SandboxCreateOptions { Template = "python" });

        Assert.Equal((1024, 2.0, 120), (defaults.MemoryMb, defaults.Cpu, defaults.TimeoutSeconds));
        Assert.Equal((256, 0.5, 30), (asked.MemoryMb, asked.Cpu, asked.TimeoutSeconds));
        Assert.Equal((Sandbox.DefaultMemoryMb, Sandbox.DefaultCpu, Sandbox.DefaultTimeoutSeconds), (builtIn.MemoryMb, builtIn.Cpu, builtIn.TimeoutSeconds));
        var unknown = Assert.Throws<SandboxValidationException>(() => validator.Create(new SandboxCreateOptions { Template = "small" }));
        // SoulBox's own (the core ones, then the language templates), then the registered ones.
        Assert.Contains("known templates: python, node, go, java, base, code-interpreter, gcc, ", unknown.Message);
        Assert.EndsWith(", big.", unknown.Message);
    }

    [Theory]
    [InlineData("Data_Sci", "python", "SoulBox:Templates:Data_Sci: a template name")]
    [InlineData("python", "python", "SoulBox:Templates:python: 'python' is one of SoulBox's own templates")]
    [InlineData("datasci", null, "SoulBox:Templates:datasci:Language is required")]
    [InlineData("datasci", "cobol", "SoulBox:Templates:datasci:Language 'cobol' is not a language SoulBox runs")]
    public void ABadNameOrLanguage_IsNamed(string name, string? language, string expected)
    {
        Assert.Contains(Problems(name, new CustomTemplateOptions { Language = language }), p => p.StartsWith(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Image", "Soulbox/Datasci:latest")]
    [InlineData("Image", "soulbox/datasci:la test")]
    [InlineData("Languages:0", "cobol")]
    [InlineData("User", "root")]
    [InlineData("User", "Bad User")]
    [InlineData("Home", "home/sandbox")]
    [InlineData("Home", "/")]
    [InlineData("Home", "/tmp")]
    [InlineData("Home", "/opt/soulbox/work")]
    [InlineData("Home", "/home/../etc")]
    [InlineData("MemoryMb", "4096")]
    [InlineData("Cpu", "3")]
    [InlineData("TimeoutSeconds", "3600")]
    [InlineData("MinWarm", "17")]
    public void ABadSetting_IsNamedWithItsPath(string setting, string value)
    {
        var template = new CustomTemplateOptions { Language = "python" };
        switch (setting)
        {
            case "Image": template.Image = value; break;
            case "Languages:0": template.Languages = [value]; break;
            case "User": template.User = value; break;
            case "Home": template.Home = value; break;
            case "MemoryMb": template.MemoryMb = int.Parse(value); break;
            case "Cpu": template.Cpu = double.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case "TimeoutSeconds": template.TimeoutSeconds = int.Parse(value); break;
            case "MinWarm": template.MinWarm = int.Parse(value); break;
        }

        var problem = Assert.Single(Problems("datasci", template));
        Assert.StartsWith($"SoulBox:Templates:datasci:{setting} ", problem);
    }

    [Theory]
    [InlineData("ldd (Ubuntu GLIBC 2.31-0ubuntu9.9) 2.31\nCopyright (C) 2020 Free Software Foundation, Inc.", "2.31")]
    [InlineData("ldd (Debian GLIBC 2.36-9+deb12u4) 2.36\n", "2.36")]
    [InlineData("ldd (GNU libc) 2.34\n", "2.34")]
    [InlineData("musl libc (x86_64)\nVersion 1.2.4\n", null)]
    [InlineData("", null)]
    public void TheGlibcVersion_IsReadFromLdd(string output, string? version) =>
        Assert.Equal(version, DockerContainerRuntime.GlibcVersionOf(output));
}
