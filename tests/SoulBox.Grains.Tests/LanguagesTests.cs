namespace SoulBox.Grains.Tests;

public sealed class LanguagesTests
{
    [Theory]
    [InlineData("py", "python")]
    [InlineData("Python3", "python")]
    [InlineData(" js ", "javascript")]
    [InlineData("node", "javascript")]
    [InlineData("golang", "go")]
    [InlineData("java", "java")]
    [InlineData("sh", "bash")]
    [InlineData("c++", "cpp")]
    [InlineData("g++", "cpp")]
    [InlineData("c++20", "cpp20")]
    [InlineData("gcc", "c")]
    [InlineData("rs", "rust")]
    [InlineData("ts", "typescript")]
    [InlineData("rb", "ruby")]
    [InlineData("lua5.4", "lua")]
    [InlineData("guile", "scheme")]
    [InlineData("f90", "fortran")]
    public void Normalize_MapsAliasesToCanonicalNames(string alias, string canonical) =>
        Assert.Equal(canonical, Languages.Normalize(alias));

    [Theory]
    [InlineData("cobol")]
    [InlineData("")]
    [InlineData(null)]
    public void Normalize_IsNullForUnknownLanguages(string? language) => Assert.Null(Languages.Normalize(language));

    [Fact]
    public void EveryLanguageHasATemplateThatSupportsIt()
    {
        foreach (var language in Languages.All)
        {
            Assert.True(Templates.Supports(Languages.DefaultTemplate(language), language), language);
        }
    }

    [Fact]
    public void APythonTemplateDoesNotClaimJava() => Assert.False(Templates.Supports(Templates.Python, Languages.Java));

    [Fact]
    public void NoNameBelongsToTwoLanguages()
    {
        var claims = Languages.Table.SelectMany(l => ((string[])[l.Name, .. l.Aliases, .. l.PistonAliases ?? []]).Distinct(StringComparer.OrdinalIgnoreCase).Select(n => (Name: n.ToLowerInvariant(), l.Name)));
        var shared = claims.GroupBy(c => c.Name).Where(g => g.Select(c => c.Item2).Distinct().Count() > 1).Select(g => g.Key);
        Assert.Empty(shared);
    }

    [Fact]
    public void AtLeastFifteenLanguages_NotCountingStandardVariants() =>
        Assert.True(Languages.Table.Count(l => l.VariantOf is null) >= 15, string.Join(", ", Languages.All));

    [Fact]
    public void EveryCompiledLanguageDeclaresItsCompileOutputs()
    {
        foreach (var spec in Languages.Table.Where(l => l.Compiles))
        {
            Assert.NotEmpty(spec.CompileOutputs);
        }
    }

    [Fact]
    public void TheScriptingTemplateRunsItsFiveInterpreters()
    {
        Assert.Equal([Languages.Ruby, Languages.Php, Languages.Lua, Languages.Perl, Languages.Scheme], Templates.LanguagesOf(Templates.Scripting));
        Assert.Equal(Languages.Ruby, Templates.DefaultLanguage(Templates.Scripting));
        Assert.Equal([Languages.Rust], Templates.LanguagesOf(Templates.Rust));
        Assert.Contains(Languages.Fortran, Templates.LanguagesOf(Templates.Gcc));
        Assert.Equal("scripts/setup.sh --images gcc", Templates.SetupCommand(Templates.Gcc));
        Assert.Equal("scripts/setup.sh", Templates.SetupCommand(Templates.Python));
    }
}
