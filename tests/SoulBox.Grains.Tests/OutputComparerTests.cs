using SoulBox.Grains.Execution;

namespace SoulBox.Grains.Tests;

public sealed class OutputComparerTests
{
    private static readonly OutputComparison TrailingWhitespace = new() { Mode = ComparisonMode.TrailingWhitespace };
    private static readonly OutputComparison Exact = new() { Mode = ComparisonMode.Exact };
    private static readonly OutputComparison Tokens = new() { Mode = ComparisonMode.Tokens };

    [Theory]
    [InlineData("1 2\n3\n", "1 2\n3\n")]
    [InlineData("1 2   \n3\t\n", "1 2\n3")]
    [InlineData("1 2\r\n3\r\n", "1 2\n3\n")]
    [InlineData("1 2\n3\n\n\n  \n", "1 2\n3")]
    [InlineData("", "\n\n")]
    [InlineData("   ", "")]
    public void TrailingWhitespace_IgnoresBlanksAtLineEndsAndTrailingEmptyLines(string actual, string expected) =>
        Assert.Null(OutputComparer.Difference(actual, expected, TrailingWhitespace));

    [Theory]
    [InlineData("1  2\n3\n", "1 2\n3\n", "line 1: expected '1 2', got '1  2'")]
    [InlineData(" 1 2\n3\n", "1 2\n3\n", "line 1: expected '1 2', got ' 1 2'")]
    [InlineData("1 2\n\n3\n", "1 2\n3\n", "line 2: expected '3', got ''")]
    [InlineData("1 2\n", "1 2\n3\n", "line 2: output ends; expected '3'")]
    [InlineData("1 2\n3\n4", "1 2\n3\n", "line 3: expected the output to end; got '4'")]
    [InlineData("", "0", "line 1: output ends; expected '0'")]
    public void TrailingWhitespace_KeepsBlanksInsideAndBeforeLinesAndEmptyLinesBetweenThem(string actual, string expected, string difference) =>
        Assert.Equal(difference, OutputComparer.Difference(actual, expected, TrailingWhitespace));

    [Fact]
    public void TrailingWhitespace_IsTheDefault() =>
        Assert.Null(OutputComparer.Difference("42 \n", "42", null));

    [Fact]
    public void Exact_ComparesEveryCharacter()
    {
        Assert.Null(OutputComparer.Difference("a\nb\n", "a\nb\n", Exact));
        Assert.Equal("line 2: output ends after 3 characters; expected 4", OutputComparer.Difference("a\nb", "a\nb\n", Exact));
        Assert.Equal("line 1, character 2: expected '\tb', got ' b'", OutputComparer.Difference("a b", "a\tb", Exact));
        Assert.Equal("line 2: output goes on past the expected 2 characters: 'b'", OutputComparer.Difference("a\nb", "a\n", Exact));
    }

    [Theory]
    [InlineData("1 2 3", "1\n2\n3\n")]
    [InlineData("  1\t2\r\n\n3  ", "1 2 3")]
    [InlineData("", "  \n")]
    public void Tokens_IgnoreHowTheyAreSeparated(string actual, string expected) =>
        Assert.Null(OutputComparer.Difference(actual, expected, Tokens));

    [Fact]
    public void Tokens_CompareAsTextWithoutATolerance()
    {
        Assert.Equal("token 2 (line 2): expected '2', got '2.0'", OutputComparer.Difference("1\n2.0", "1 2", Tokens));
        Assert.Equal("token 3: output ends; expected '3'", OutputComparer.Difference("1 2", "1 2 3", Tokens));
        Assert.Equal("token 3 (line 1): expected the output to end; got '3'", OutputComparer.Difference("1 2 3", "1 2", Tokens));
    }

    [Theory]
    [InlineData("0.3333333", "0.333333333", 1e-6)]
    [InlineData("2", "2.0000000001", 1e-9)]
    [InlineData("1000000.5", "1000000", 1e-6)] // relative: 0.5 ≤ 1e-6 × 1e6
    [InlineData("1e3", "1000", 0)]
    [InlineData("nan", "NaN", 1e-6)]
    [InlineData("-Infinity", "-Infinity", 1e-6)]
    public void Tokens_MatchNumbersWithinTheTolerance(string actual, string expected, double tolerance) =>
        Assert.Null(OutputComparer.Difference(actual, expected, Tokens with { FloatTolerance = tolerance }));

    [Theory]
    [InlineData("0.3334", "0.333333333", 1e-6)]
    [InlineData("3", "2.5", 0.1)]
    [InlineData("NaN", "1", 1e-6)]
    [InlineData("Infinity", "1e308", 1e-6)]
    [InlineData("yes", "1", 1e-6)]
    public void Tokens_RefuseNumbersOutsideTheToleranceAndNonNumbers(string actual, string expected, double tolerance) =>
        Assert.StartsWith("token 1 (line 1): expected", OutputComparer.Difference(actual, expected, Tokens with { FloatTolerance = tolerance }));

    [Fact]
    public void Tokens_WithAToleranceStillCompareWordsAsText()
    {
        var comparison = Tokens with { FloatTolerance = 1e-6 };

        Assert.Null(OutputComparer.Difference("YES 0.5", "YES 0.5000001", comparison));
        Assert.Equal("token 1 (line 1): expected 'YES', got 'yes'", OutputComparer.Difference("yes 0.5", "YES 0.5", comparison));
    }

    [Fact]
    public void ADifferenceQuotesAtMost40CharactersOfOneLine()
    {
        var difference = OutputComparer.Difference(new string('a', 100) + "\nmore", new string('b', 100), TrailingWhitespace);

        Assert.Equal($"line 1: expected '{new string('b', 40)}...', got '{new string('a', 40)}...'", difference);
    }
}
