using SoulBox.Grains.Execution;
using SoulBox.Grains.Hosting;

namespace SoulBox.Grains.Tests;

public sealed class BatchValidatorTests
{
    private readonly SandboxOptions _options = new();
    private BatchValidator Validator => new(_options);

    private static ExecuteBatchRequest Batch(params TestCase[] cases) => new() { Language = "python", Code = "print(input())", Cases = cases };

    [Fact]
    public void CasesTakeTheBatchLimitsUnlessTheyGiveTheirOwn()
    {
        var batch = Validator.Validate(Batch(new TestCase { Stdin = "1" }, new TestCase { Limits = new ExecutionLimits { RunTimeoutMs = 500, MemoryMb = 64, MaxOutputBytes = 10 } }) with
        {
            Limits = new ExecutionLimits { RunTimeoutMs = 2000, MemoryMb = 256 },
        });

        Assert.Equal([0, 1], batch.Cases.Select(c => c.Index));
        Assert.Equal((2000, 256, _options.DefaultMaxOutputBytes), (batch.Cases[0].Limits.RunTimeoutMs, batch.Cases[0].MemoryMb, batch.Cases[0].Limits.MaxOutputBytes));
        Assert.Equal((500, 64, 10L), (batch.Cases[1].Limits.RunTimeoutMs, batch.Cases[1].MemoryMb, batch.Cases[1].Limits.MaxOutputBytes));
        Assert.Equal("1"u8.ToArray(), batch.Cases[0].Stdin);
        Assert.Equal(ComparisonMode.TrailingWhitespace, batch.Comparison.Mode);
        Assert.Equal(_options.MaxBatchParallelism, batch.MaxParallelism);
    }

    [Fact]
    public void NoCasesIs400()
    {
        var error = Assert.Throws<SandboxValidationException>(() => Validator.Validate(Batch()));

        Assert.Equal("cases", error.Field);
    }

    [Fact]
    public void MoreCasesThanTheNodeTakesIs400NamingTheSetting()
    {
        _options.MaxBatchCases = 2;

        var error = Assert.Throws<SandboxValidationException>(() => Validator.Validate(Batch(new TestCase(), new TestCase(), new TestCase())));

        Assert.Equal("cases", error.Field);
        Assert.Contains("MaxBatchCases", error.Message);
    }

    [Fact]
    public void ABadCaseLimitNamesTheCaseAndTheField()
    {
        var error = Assert.Throws<SandboxValidationException>(() => Validator.Validate(Batch(
            new TestCase(), new TestCase(), new TestCase { Limits = new ExecutionLimits { MemoryMb = 1 } })));

        Assert.Equal("cases[2].limits.memoryMb", error.Field);
        Assert.StartsWith("Case 2: ", error.Message);
    }

    [Fact]
    public void ACaseCannotSetTheCompileTimeout()
    {
        var error = Assert.Throws<SandboxValidationException>(() => Validator.Validate(Batch(new TestCase { Limits = new ExecutionLimits { CompileTimeoutMs = 1000 } })));

        Assert.Equal("cases[0].limits.compileTimeoutMs", error.Field);
    }

    [Fact]
    public void ACaseStdinOverTheLimitIs413NamingTheCase()
    {
        _options.MaxCaseStdinBytes = 4;

        var error = Assert.Throws<RequestTooLargeException>(() => Validator.Validate(Batch(new TestCase { Stdin = "1" }, new TestCase { Stdin = "12345" })));

        Assert.Equal("cases[1].stdin", error.Field);
        Assert.Equal(4, error.LimitBytes);
        Assert.Contains("MaxCaseStdinBytes", error.Message);
    }

    [Fact]
    public void ACaseStdinMayPassTheSingleRunLimit()
    {
        _options.MaxStdinBytes = 4;

        Assert.Equal(10, Validator.Validate(Batch(new TestCase { Stdin = "1234567890" })).Cases[0].Stdin!.Length);
    }

    [Fact]
    public void AllCasesInputOverTheBatchLimitIs413()
    {
        _options.MaxBatchInputBytes = 10;

        var error = Assert.Throws<RequestTooLargeException>(() => Validator.Validate(Batch(new TestCase { Stdin = "123456", ExpectedOutput = "123456" })));

        Assert.Equal("cases", error.Field);
        Assert.Contains("MaxBatchInputBytes", error.Message);
    }

    [Fact]
    public void ABatchThatCouldOutlastMaxBatchTimeIs400()
    {
        // 21 cases at the default 30 s run timeout pass the default 600 s.
        var error = Assert.Throws<SandboxValidationException>(() => Validator.Validate(Batch([.. Enumerable.Range(0, 21).Select(_ => new TestCase())])));

        Assert.Equal("cases", error.Field);
        Assert.Contains("MaxBatchTimeMs", error.Message);
        Validator.Validate(Batch([.. Enumerable.Range(0, 21).Select(_ => new TestCase())]) with { Limits = new ExecutionLimits { RunTimeoutMs = 2000 } });
    }

    [Fact]
    public void AFloatToleranceNeedsTokensMode()
    {
        var error = Assert.Throws<SandboxValidationException>(() => Validator.Validate(Batch(new TestCase()) with { Comparison = new OutputComparison { FloatTolerance = 1e-6 } }));

        Assert.Equal("comparison.floatTolerance", error.Field);
        Assert.Throws<SandboxValidationException>(() => Validator.Validate(Batch(new TestCase()) with { Comparison = new OutputComparison { Mode = ComparisonMode.Tokens, FloatTolerance = -1 } }));
        Assert.Throws<SandboxValidationException>(() => Validator.Validate(Batch(new TestCase()) with { Comparison = new OutputComparison { Mode = (ComparisonMode)7 } }));
    }

    [Fact]
    public void ParallelismIsAtLeastOneAndAtMostTheNodes()
    {
        Assert.Equal("maxParallelism", Assert.Throws<SandboxValidationException>(() => Validator.Validate(Batch(new TestCase()) with { MaxParallelism = 0 })).Field);
        Assert.Equal(_options.MaxBatchParallelism, Validator.Validate(Batch(new TestCase()) with { MaxParallelism = 1000 }).MaxParallelism);
        Assert.Equal(1, Validator.Validate(Batch(new TestCase()) with { MaxParallelism = 1 }).MaxParallelism);
    }

    [Fact]
    public void ACaseArgumentWithNulNamesTheCase()
    {
        var error = Assert.Throws<SandboxValidationException>(() => Validator.Validate(Batch(new TestCase { Args = ["a\0b"] })));

        Assert.Equal("cases[0].args", error.Field);
    }
}
