namespace SoulBox.Grains.Tests;

public sealed class TemplatesTests
{
    [Theory]
    [InlineData(Templates.Python, "sandbox", "/home/sandbox")]
    [InlineData(Templates.Node, "sandbox", "/home/sandbox")]
    [InlineData(Templates.Go, "sandbox", "/home/sandbox")]
    [InlineData(Templates.Java, "sandbox", "/home/sandbox")]
    [InlineData(Templates.Gcc, "sandbox", "/home/sandbox")]
    [InlineData(Templates.Scripting, "sandbox", "/home/sandbox")]
    [InlineData(Templates.R, "sandbox", "/home/sandbox")]
    [InlineData(Templates.Base, "user", "/home/user")]
    [InlineData(Templates.CodeInterpreter, "user", "/home/user")]
    public void EachTemplate_HasItsUserAndHome(string template, string user, string home)
    {
        Assert.Equal(user, Templates.User(template));
        Assert.Equal(home, Templates.Home(template));
    }

    [Fact]
    public void TheE2bStyleTemplates_RunPythonAndJavaScript_TheOthersTheirOwnLanguage()
    {
        foreach (var template in new[] { Templates.Base, Templates.CodeInterpreter })
        {
            Assert.Equal([Languages.Python, Languages.JavaScript], Templates.LanguagesOf(template));
            Assert.Equal(Languages.Python, Templates.DefaultLanguage(template));
            Assert.True(Templates.Supports(template, Languages.JavaScript));
            Assert.True(Templates.Supports(template, Languages.Shell));
            Assert.False(Templates.Supports(template, Languages.Go));
        }

        Assert.Equal([Languages.Python], Templates.LanguagesOf(Templates.Python));
        Assert.False(Templates.Supports(Templates.Python, Languages.JavaScript));
        Assert.Equal([Languages.JavaScript], Templates.LanguagesOf(Templates.Node));
        Assert.Contains(Templates.CodeInterpreter, Templates.All);
    }

    [Fact]
    public void StartBuildsOnlyTheCoreTemplates_TheLanguageTemplatesAreOnRequest()
    {
        Assert.Equal([Templates.Python, Templates.Node, Templates.Go, Templates.Java, Templates.Base, Templates.CodeInterpreter], Templates.Core);
        Assert.Equal(Templates.Core.Count + Templates.Optional.Count, Templates.All.Count);
        Assert.All(Languages.Table, l => Assert.Contains(l.Template, Templates.All));
    }
}
