using System.Globalization;

namespace SoulBox.Grains.Execution;

/// <summary>Compares a test case's output with its expected output in one of the <see cref="ComparisonMode"/>s and,
/// when they differ, says where in a few words (the first difference only: enough to find it, bounded in size).
/// <para>Pure and allocation-light: lines and tokens are walked as spans, never split into arrays, so a 16 MiB
/// output costs no copies. Numbers in tokens mode follow testlib's <c>doubleCompare</c>: equal within the tolerance
/// absolutely or relative to the expected value; NaN equals NaN; infinities equal only themselves.</para></summary>
internal static class OutputComparer
{
    private const int QuoteChars = 40;

    /// <summary>Null when <paramref name="actual"/> matches <paramref name="expected"/>, else the first difference.</summary>
    public static string? Difference(string actual, string expected, OutputComparison? comparison)
    {
        var mode = comparison?.Mode ?? ComparisonMode.TrailingWhitespace;
        return mode switch
        {
            ComparisonMode.Exact => ExactDifference(actual, expected),
            ComparisonMode.Tokens => TokenDifference(actual, expected, comparison?.FloatTolerance),
            _ => LineDifference(actual, expected),
        };
    }

    private static string? ExactDifference(string actual, string expected)
    {
        var common = actual.AsSpan().CommonPrefixLength(expected);
        if (common == actual.Length && common == expected.Length)
        {
            return null;
        }

        var line = 1 + actual.AsSpan(0, common).Count('\n');
        return common == actual.Length ? $"line {line}: output ends after {actual.Length} characters; expected {expected.Length}"
            : common == expected.Length ? $"line {line}: output goes on past the expected {expected.Length} characters: {Quote(actual.AsSpan(common))}"
            : $"line {line}, character {common + 1}: expected {Quote(expected.AsSpan(common))}, got {Quote(actual.AsSpan(common))}";
    }

    private static string? LineDifference(string actual, string expected)
    {
        var a = new LineReader(actual);
        var e = new LineReader(expected);
        var line = 0;
        while (true)
        {
            line++;
            var hasActual = a.Next(out var actualLine);
            var hasExpected = e.Next(out var expectedLine);
            if (!hasActual && !hasExpected)
            {
                return null;
            }

            if (!hasActual)
            {
                return $"line {line}: output ends; expected {Quote(expectedLine)}";
            }

            if (!hasExpected)
            {
                return $"line {line}: expected the output to end; got {Quote(actualLine)}";
            }

            if (!actualLine.SequenceEqual(expectedLine))
            {
                return $"line {line}: expected {Quote(expectedLine)}, got {Quote(actualLine)}";
            }
        }
    }

    private static string? TokenDifference(string actual, string expected, double? tolerance)
    {
        var a = new TokenReader(actual);
        var e = new TokenReader(expected);
        var index = 0;
        while (true)
        {
            index++;
            var hasActual = a.Next(out var actualToken, out var actualLine);
            var hasExpected = e.Next(out var expectedToken, out _);
            if (!hasActual && !hasExpected)
            {
                return null;
            }

            if (!hasActual)
            {
                return $"token {index}: output ends; expected {Quote(expectedToken)}";
            }

            if (!hasExpected)
            {
                return $"token {index} (line {actualLine}): expected the output to end; got {Quote(actualToken)}";
            }

            if (!TokensMatch(actualToken, expectedToken, tolerance))
            {
                return $"token {index} (line {actualLine}): expected {Quote(expectedToken)}, got {Quote(actualToken)}"
                    + (tolerance is { } t && IsNumber(expectedToken, out _) ? $" (tolerance {t.ToString(CultureInfo.InvariantCulture)})" : "");
            }
        }
    }

    private static bool TokensMatch(ReadOnlySpan<char> actual, ReadOnlySpan<char> expected, double? tolerance)
    {
        if (actual.SequenceEqual(expected))
        {
            return true;
        }

        if (tolerance is not { } limit || !IsNumber(expected, out var want) || !IsNumber(actual, out var got))
        {
            return false;
        }

        if (double.IsNaN(want))
        {
            return double.IsNaN(got);
        }

        if (double.IsInfinity(want))
        {
            return want == got;
        }

        if (double.IsNaN(got) || double.IsInfinity(got))
        {
            return false;
        }

        var error = Math.Abs(got - want);
        // The 1e-15 absorbs the rounding of a tolerance that is itself not exact in binary (testlib does the same).
        return error <= limit + 1e-15 || error <= limit * Math.Abs(want) + 1e-15;
    }

    private static bool IsNumber(ReadOnlySpan<char> token, out double value) =>
        double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    private static string Quote(ReadOnlySpan<char> text)
    {
        var end = text.IndexOfAny('\n', '\r');
        var line = end < 0 ? text : text[..end];
        return line.Length <= QuoteChars ? $"'{line}'" : $"'{line[..QuoteChars]}...'";
    }

    /// <summary>Lines without trailing whitespace; the trailing empty lines of the text are not lines (and an
    /// empty or all-blank text has none).</summary>
    private ref struct LineReader(string text)
    {
        // Trimmed, so it never ends with a line break: after the last break there is always a line.
        private readonly ReadOnlySpan<char> _text = text.AsSpan().TrimEnd();
        // Start of the next line; -1 after the last.
        private int _position = text.AsSpan().TrimEnd().Length == 0 ? -1 : 0;

        public bool Next(out ReadOnlySpan<char> line)
        {
            if (_position < 0)
            {
                line = default;
                return false;
            }

            var rest = _text[_position..];
            var end = rest.IndexOf('\n');
            line = (end < 0 ? rest : rest[..end]).TrimEnd();
            _position = end < 0 ? -1 : _position + end + 1;
            return true;
        }
    }

    /// <summary>Whitespace-separated tokens, with the line each starts on.</summary>
    private ref struct TokenReader(string text)
    {
        private readonly ReadOnlySpan<char> _text = text.AsSpan();
        private int _position;
        private int _line = 1;

        public bool Next(out ReadOnlySpan<char> token, out int line)
        {
            while (_position < _text.Length && char.IsWhiteSpace(_text[_position]))
            {
                if (_text[_position] == '\n')
                {
                    _line++;
                }

                _position++;
            }

            line = _line;
            if (_position >= _text.Length)
            {
                token = default;
                return false;
            }

            var start = _position;
            while (_position < _text.Length && !char.IsWhiteSpace(_text[_position]))
            {
                _position++;
            }

            token = _text[start.._position];
            return true;
        }
    }
}
