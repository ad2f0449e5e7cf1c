using SoulBox.Grains.Hosting;
using SoulBox.Grains.Sandboxes;

namespace SoulBox.Grains.Tests;

public sealed class SandboxRequestValidatorTests
{
    private readonly SandboxRequestValidator _validate = new(new SandboxOptions());

    [Fact]
    public void Create_FillsDefaults()
    {
        var options = _validate.Create(new SandboxCreateOptions { Template = " Python " });

        Assert.Equal("python", options.Template);
        Assert.Equal(300, options.TimeoutSeconds);
        Assert.Equal(512, options.MemoryMb);
        Assert.Equal(1.0, options.Cpu);
    }

    [Theory]
    [InlineData("cobol", null, null, null, "template")]
    [InlineData("python", -1, null, null, "timeoutSeconds")]
    [InlineData("python", 1_000_000, null, null, "timeoutSeconds")]
    [InlineData("python", null, 4, null, "memoryMb")]
    [InlineData("python", null, null, 64.0, "cpu")]
    public void Create_RejectsOutOfRangeInputNamingTheField(string template, int? timeout, int? memory, double? cpu, string field)
    {
        var error = Assert.Throws<SandboxValidationException>(() => _validate.Create(new SandboxCreateOptions { Template = template, TimeoutSeconds = timeout, MemoryMb = memory, Cpu = cpu }));

        Assert.Equal(field, error.Field);
        Assert.Equal(ErrorCodes.Validation, error.Code);
    }

    [Fact]
    public void Create_RejectsEnvNamesWithEquals()
    {
        var error = Assert.Throws<SandboxValidationException>(() => _validate.Create(new SandboxCreateOptions { Env = new() { ["A=B"] = "x" } }));
        Assert.Equal("env", error.Field);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    public void Code_RejectsEmptyCode(string? code) => Assert.Equal("code", Assert.Throws<SandboxValidationException>(() => _validate.Code(code)).Field);

    [Fact]
    public void Code_RejectsCodeOverTheSizeLimit() =>
        Assert.Contains("limit", Assert.Throws<SandboxValidationException>(() => _validate.Code(new string('x', 2 * 1024 * 1024))).Message);

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(int.MaxValue)]
    public void RunTimeoutMs_RejectsNegativeZeroAndHugeValues(int timeout) =>
        Assert.Throws<SandboxValidationException>(() => _validate.RunTimeoutMs(timeout, 1000));

    [Fact]
    public void Language_NamesTheKnownLanguagesWhenUnknown() =>
        Assert.Contains("python", Assert.Throws<SandboxValidationException>(() => _validate.Language("brainfuck", null)).Message);

    [Fact]
    public void SandboxOptions_ValidateNamesTheBadSetting() =>
        Assert.Contains(new SandboxOptions { DefaultTimeoutSeconds = 0 }.Validate(), m => m.Contains("DefaultTimeoutSeconds"));
}
