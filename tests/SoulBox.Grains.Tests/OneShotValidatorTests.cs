using SoulBox.Grains.Execution;
using SoulBox.Grains.Hosting;

namespace SoulBox.Grains.Tests;

public sealed class OneShotValidatorTests
{
    private readonly SandboxOptions _options = new();
    private OneShotValidator Validator => new(_options);

    [Fact]
    public void StdinOverTheLimitIs413NamingTheLimitAndItsSetting()
    {
        var error = Assert.Throws<RequestTooLargeException>(() => Validator.Validate(new ExecuteRequest
        {
            Language = "python",
            Code = "print(1)",
            Stdin = new string('x', 9 * 1024 * 1024),
        }));

        Assert.Equal(ErrorCodes.TooLarge, error.Code);
        Assert.Equal("stdin", error.Field);
        Assert.Equal(4 * 1024 * 1024, error.LimitBytes);
        Assert.Contains("4194304", error.Message);
        Assert.Contains("MaxStdinBytes", error.Message);
    }

    [Fact]
    public void StdinIsMeasuredInUtf8Bytes()
    {
        _options.MaxStdinBytes = 10;

        Validator.Validate(new ExecuteRequest { Language = "python", Code = "1", Stdin = new string('x', 10) });
        Assert.Throws<RequestTooLargeException>(() => Validator.Validate(new ExecuteRequest { Language = "python", Code = "1", Stdin = new string('é', 6) }));
    }

    [Fact]
    public void ArgumentsOverTheirTotalAre413()
    {
        var error = Assert.Throws<RequestTooLargeException>(() => Validator.Validate(new ExecuteRequest
        {
            Language = "python",
            Code = "1",
            Args = [.. Enumerable.Repeat(new string('a', 1024), 200)],
        }));

        Assert.Equal("args", error.Field);
        Assert.Equal(128 * 1024, error.LimitBytes);
    }

    [Fact]
    public void TooManyOrBadArgumentsAre400()
    {
        Assert.Equal("args", Assert.Throws<SandboxValidationException>(() => Validator.Validate(new ExecuteRequest { Language = "python", Code = "1", Args = [.. Enumerable.Repeat("a", 257)] })).Field);
        Assert.Equal("args", Assert.Throws<SandboxValidationException>(() => Validator.Validate(new ExecuteRequest { Language = "python", Code = "1", Args = ["a\0b"] })).Field);
    }

    [Fact]
    public void SourcesOverTheirTotalAre413AndBase64CountsDecoded()
    {
        var big = new SourceFile { Name = "a.py", Content = new string('x', 3 * 1024 * 1024) };
        var error = Assert.Throws<RequestTooLargeException>(() => Validator.Validate(new ExecuteRequest { Language = "python", Files = [big, big with { Name = "b.py" }] }));
        Assert.Equal("files", error.Field);

        // 4 MiB of base64 text is 3 MiB of source: within the limit.
        var encoded = new SourceFile { Name = "c.py", Content = Convert.ToBase64String(new byte[3 * 1024 * 1024]), Encoding = "base64" };
        Assert.Equal(3 * 1024 * 1024, Validator.Validate(new ExecuteRequest { Language = "python", Files = [encoded] }).Program.Files[0].Content.Length);
    }

    [Fact]
    public void TooManyFilesAre400()
    {
        var files = Enumerable.Range(0, 65).Select(i => new SourceFile { Name = $"f{i}.py", Content = "1" }).ToArray();

        Assert.Equal("files", Assert.Throws<SandboxValidationException>(() => Validator.Validate(new ExecuteRequest { Language = "python", Files = files })).Field);
    }

    [Fact]
    public void CodeOverTheLimitIs413()
    {
        var error = Assert.Throws<RequestTooLargeException>(() => Validator.Validate(new ExecuteRequest { Language = "python", Code = new string('x', 1024 * 1024 + 1) }));

        Assert.Equal("code", error.Field);
    }

    [Fact]
    public void TheDeadlineIsEveryStagesTimeoutPlusTheGrace()
    {
        var go = Validator.Validate(new ExecuteRequest { Language = "go", Code = "package main", Limits = new ExecutionLimits { RunTimeoutMs = 2000, CompileTimeoutMs = 3000 } });
        var python = Validator.Validate(new ExecuteRequest { Language = "python", Code = "1", Limits = new ExecutionLimits { RunTimeoutMs = 2000, CompileTimeoutMs = 3000 } });

        Assert.Equal(TimeSpan.FromSeconds(10), go.Deadline(TimeSpan.FromSeconds(5)));
        Assert.Equal(TimeSpan.FromSeconds(7), python.Deadline(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void TheDefaultsLeaveRoomInTheAgentsFrame()
    {
        Assert.Empty(new SandboxOptions().Validate());
        Assert.Contains(new SandboxOptions { MaxStdinBytes = 8 * 1024 * 1024 }.Validate(), e => e.Contains("MaxStdinBytes"));
    }
}
