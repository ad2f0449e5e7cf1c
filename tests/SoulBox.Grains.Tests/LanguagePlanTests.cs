using SoulBox.Grains.Execution;

namespace SoulBox.Grains.Tests;

public sealed class LanguagePlanTests
{
    [Fact]
    public void Python_RunsTheEntryFileWithArguments()
    {
        var plan = LanguagePlan.For(Languages.Python, "/w", "main.py", ["main.py"], ["a", "b c"]);

        Assert.Null(plan.CompileArgv!);
        Assert.Equal(["python3", "/w/main.py", "a", "b c"], plan.RunArgv);
        Assert.Empty(plan.CompileOutputs);
    }

    [Fact]
    public void Go_CompilesThenRunsTheBinary()
    {
        var plan = LanguagePlan.For(Languages.Go, "/w", "main.go", ["main.go"], ["x"]);

        Assert.Equal(["soulbox-go-build", "/w/main.go", "/w/.soulbox-main"], plan.CompileArgv!);
        Assert.Equal(["/w/.soulbox-main", "x"], plan.RunArgv);
        Assert.Equal([".soulbox-main"], plan.CompileOutputs);
    }

    [Fact]
    public void Java_CompilesEveryJavaFileAndRunsTheEntryClass()
    {
        var plan = LanguagePlan.For(Languages.Java, "/w", "Main.java", ["Main.java", "Util.java", "data.txt"], []);

        Assert.Equal("javac", plan.CompileArgv![0]);
        Assert.Equal(["-d", "/w/.soulbox-classes", "-encoding", "UTF-8", "/w/Main.java", "/w/Util.java"], plan.CompileArgv[^6..]);
        Assert.Equal("java", plan.RunArgv[0]);
        Assert.Equal(["-cp", "/w/.soulbox-classes", "Main"], plan.RunArgv[^3..]);
        Assert.Equal([".soulbox-classes"], plan.CompileOutputs);
    }

    [Fact]
    public void Cpp_CompilesEveryCppFileWithCpp17AndO2ByDefault()
    {
        var plan = LanguagePlan.For(Languages.Cpp, "/w", "main.cpp", ["main.cpp", "util.cpp", "util.h"], ["x"]);

        Assert.Equal(["g++", "-std=c++17", "-O2", "-pipe", "-o", "/w/.soulbox-main", "/w/main.cpp", "/w/util.cpp"], plan.CompileArgv!);
        Assert.Equal(["/w/.soulbox-main", "x"], plan.RunArgv);
        Assert.Equal([".soulbox-main"], plan.CompileOutputs);
    }

    [Fact]
    public void CppVariant_ChoosesItsStandard()
    {
        var plan = LanguagePlan.For(Languages.Normalize("c++20")!, "/w", "main.cpp", ["main.cpp"], []);

        Assert.Equal("cpp20", plan.Language);
        Assert.Equal("-std=c++20", plan.CompileArgv![1]);
    }

    [Fact]
    public void TypeScript_CompilesToJavaScriptThatNodeRuns_KeepingTheEntrysSubdirectory()
    {
        var plan = LanguagePlan.For(Languages.TypeScript, "/w", "src/main.ts", ["src/main.ts", "src/lib.ts"], ["a"]);

        Assert.Equal("tsc", plan.CompileArgv![0]);
        Assert.Equal(["/w/src/main.ts", "/w/src/lib.ts"], plan.CompileArgv[^2..]);
        Assert.Equal(["node", "/w/.soulbox-js/src/main.js", "a"], plan.RunArgv);
    }

    [Fact]
    public void AnArgumentThatLooksLikeAPlaceholderIsPassedAsIs()
    {
        var plan = LanguagePlan.For(Languages.Ruby, "/w", "main.rb", ["main.rb"], ["{dir}", "{args}"]);

        Assert.Equal(["ruby", "/w/main.rb", "{dir}", "{args}"], plan.RunArgv);
    }

    [Theory]
    [InlineData("public class Hello { }", "Hello")]
    [InlineData("import x;\npublic final class Solution {\n}", "Solution")]
    [InlineData("class Hidden { }", null)]
    public void JavaPublicClass_FindsTheClassJavacWantsAsFileName(string source, string? expected) =>
        Assert.Equal(expected, LanguagePlan.JavaPublicClass(source));

    [Fact]
    public void FilesOf_NamesAJavaFileAfterItsPublicClass()
    {
        var files = ProgramRunner.FilesOf(Languages.Java, null, [new SourceFile { Name = "main.java", Content = "public class Prog { }" }]);

        Assert.Equal("Prog.java", Assert.Single(files).Name);
    }

    [Fact]
    public void FilesOf_DecodesBase64Content()
    {
        var files = ProgramRunner.FilesOf(Languages.Python, null, [new SourceFile { Name = "a.bin", Content = Convert.ToBase64String([0, 255]), Encoding = "base64" }]);

        Assert.Equal(new byte[] { 0, 255 }, Assert.Single(files).Content);
    }

    [Theory]
    [InlineData("../escape.py")]
    [InlineData("/abs.py")]
    [InlineData("a//b.py")]
    [InlineData("a/../../b.py")]
    public void FilesOf_RejectsNamesThatLeaveTheRunDirectory(string name)
    {
        var error = Assert.Throws<SandboxValidationException>(() => ProgramRunner.FilesOf(Languages.Python, null, [new SourceFile { Name = name, Content = "x" }]));
        Assert.Equal("files.name", error.Field);
    }

    [Fact]
    public void FilesOf_RejectsBadBase64WithAClearError()
    {
        var error = Assert.Throws<SandboxValidationException>(() => ProgramRunner.FilesOf(Languages.Python, null, [new SourceFile { Name = "a", Content = "***", Encoding = "base64" }]));
        Assert.Equal("files.content", error.Field);
    }
}
