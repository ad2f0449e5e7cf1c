namespace SoulBox.Client.Tests;

/// <summary>Each language of the language images through the real cluster, one row per language for each behaviour
/// (the images are built by scripts/setup.sh --languages all, as scripts/test.sh does).</summary>
[Collection(ClusterCollection.Name)]
public sealed class LanguageTests(SoulBoxClusterFixture fixture)
{
    private ISoulBoxClient SoulBox => fixture.SoulBox;

    private Task<ExecuteResult> RunAsync(string language, string code, ExecutionLimits? limits = null, string? stdin = null, string[]? args = null) =>
        SoulBox.ExecuteAsync(new ExecuteRequest { Language = language, Code = code, Stdin = stdin, Args = args, Limits = limits });

    [Theory]
    [MemberData(nameof(LanguagePrograms.Languages), MemberType = typeof(LanguagePrograms))]
    public async Task Echo_ReadsStdinAndArguments(string language)
    {
        var result = await RunAsync(language, LanguagePrograms.Of(language).Echo, stdin: "hello world\n", args: ["arg1"]);

        Assert.True(result.Status == ExecutionStatus.Ok, $"{result.Status}: {result.Stderr}");
        Assert.Equal("HELLO WORLD arg1\n", result.Stdout);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(LanguagePrograms.Of(language).CompileError is not null, result.Compile is not null);
    }

    [Theory]
    [MemberData(nameof(LanguagePrograms.CompiledLanguages), MemberType = typeof(LanguagePrograms))]
    public async Task CompileError_IsCompileErrorWithTheCompilersMessage_AndNoRun(string language)
    {
        var programs = LanguagePrograms.Of(language);
        var result = await RunAsync(language, programs.CompileError!);

        Assert.Equal(ExecutionStatus.CompileError, result.Status);
        Assert.NotNull(result.Compile);
        Assert.Null(result.Run);
        Assert.NotEqual(0, result.Compile.ExitCode);
        Assert.Contains(programs.CompileErrorText, result.Compile.Stderr + result.Compile.Stdout);
    }

    [Theory]
    [MemberData(nameof(LanguagePrograms.Languages), MemberType = typeof(LanguagePrograms))]
    public async Task ExitWithStatus3_IsARuntimeErrorWithThatCode(string language)
    {
        var result = await RunAsync(language, LanguagePrograms.Of(language).ExitThree);

        Assert.Equal(ExecutionStatus.RuntimeError, result.Status);
        Assert.Equal(3, result.ExitCode);
    }

    [Theory]
    [MemberData(nameof(LanguagePrograms.Languages), MemberType = typeof(LanguagePrograms))]
    public async Task EndlessLoop_TimesOut(string language)
    {
        var result = await RunAsync(language, LanguagePrograms.Of(language).Loop, new ExecutionLimits { RunTimeoutMs = 1000 });

        Assert.Equal(ExecutionStatus.Timeout, result.Status);
        Assert.Equal(ExecutionStatus.Timeout, result.Run?.Status);
    }

    [Theory]
    [MemberData(nameof(LanguagePrograms.Languages), MemberType = typeof(LanguagePrograms))]
    public async Task UnboundedAllocation_IsMemoryLimit(string language)
    {
        var result = await RunAsync(language, LanguagePrograms.Of(language).Allocate, new ExecutionLimits { MemoryMb = 128, RunTimeoutMs = 20_000 });

        Assert.True(result.Status == ExecutionStatus.MemoryLimit, $"{result.Status} (exit {result.ExitCode}, signal {result.Signal}): {result.Stderr}");
    }

    [Theory]
    [MemberData(nameof(LanguagePrograms.Languages), MemberType = typeof(LanguagePrograms))]
    public async Task EndlessOutput_HitsTheOutputLimit(string language)
    {
        var result = await RunAsync(language, LanguagePrograms.Of(language).Flood, new ExecutionLimits { MaxOutputBytes = 50_000, RunTimeoutMs = 3000 });

        Assert.Contains(result.Status, new[] { ExecutionStatus.OutputLimit, ExecutionStatus.Timeout });
        Assert.True(result.Run?.StdoutTruncated);
        Assert.True(result.Stdout.Length <= 50_000);
    }

    [Fact]
    public async Task Cpp_IsCpp17ByDefault_AndAVariantChoosesAnotherStandard()
    {
        // std::string::starts_with is C++20: the default standard (c++17) refuses it, the cpp20 variant compiles it.
        const string code = "#include <iostream>\n#include <string>\nint main() { std::string s = \"soulbox\"; std::cout << s.starts_with(\"soul\") << \"\\n\"; }";

        var cpp17 = await RunAsync("c++", code);
        var cpp20 = await RunAsync("c++20", code);

        Assert.Equal(ExecutionStatus.CompileError, cpp17.Status);
        Assert.Contains("starts_with", cpp17.Compile!.Stderr);
        Assert.Equal(ExecutionStatus.Ok, cpp20.Status);
        Assert.Equal("1\n", cpp20.Stdout);
        Assert.Equal("cpp20", cpp20.Language);
    }

    [Fact]
    public async Task TheCompileStageHasItsOwnMemoryLimit_AndTheProgramRunsUnderTheRunLimit()
    {
        // <bits/stdc++.h> makes cc1plus need well over 48 MiB; the program then touches 200 MiB.
        const string code = "#include <bits/stdc++.h>\nint main() { std::vector<char> v(200 << 20, 1); std::cout << int(v[12345]) << \"\\n\"; }";

        var starved = await RunAsync("cpp", code, new ExecutionLimits { MemoryMb = 512, CompileMemoryMb = 48 });
        var fed = await RunAsync("cpp", code, new ExecutionLimits { MemoryMb = 128, CompileMemoryMb = 1024, RunTimeoutMs = 20_000 });
        var roomy = await RunAsync("cpp", code, new ExecutionLimits { MemoryMb = 512, CompileMemoryMb = 1024, RunTimeoutMs = 20_000 });

        Assert.Equal(ExecutionStatus.MemoryLimit, starved.Status);
        Assert.Equal(ExecutionStatus.MemoryLimit, starved.Compile?.Status);
        Assert.Null(starved.Run);
        Assert.Equal(ExecutionStatus.Ok, fed.Compile?.Status);
        Assert.Equal(ExecutionStatus.MemoryLimit, fed.Status);
        Assert.Equal("1\n", roomy.Stdout);
    }

    [Fact]
    public async Task TheCompilersOutputHasItsOwnCap()
    {
        // Hundreds of errors: far more than 2,000 bytes of diagnostics, while the program's cap stays the default.
        var code = string.Concat(Enumerable.Range(0, 300).Select(i => $"int f{i}(void) {{ return undefined{i}; }}\n")) + "int main(void) { return 0; }";

        var result = await RunAsync("c", code, new ExecutionLimits { CompileMaxOutputBytes = 2000 });

        Assert.Equal(ExecutionStatus.CompileError, result.Status);
        Assert.True(result.Compile!.StderrTruncated);
        Assert.True(result.Compile.Stderr.Length <= 2000);
    }

    [Fact]
    public async Task SandboxesOfTheLanguageTemplates_RunEachOfTheirLanguages()
    {
        foreach (var template in new[] { Templates.Scripting, Templates.Gcc })
        {
            await using var sandbox = await SoulBox.CreateSandboxAsync(new SandboxCreateOptions { Template = template });
            foreach (var language in Templates.LanguagesOf(template).Where(l => LanguagePrograms.All.Any(p => p.Language == l)))
            {
                var result = await sandbox.RunCodeAsync(LanguagePrograms.Of(language).ExitThree, language);

                Assert.True(result.ExitCode == 3, $"{template}/{language}: {result.Status} {result.Stderr}");
            }
        }
    }
}
