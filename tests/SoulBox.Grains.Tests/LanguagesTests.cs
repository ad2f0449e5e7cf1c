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
}
