using System.Globalization;

namespace SoulBox.Silo.Api;

/// <summary>Piston picks a runtime with <c>semver.satisfies(runtime.version, requested)</c>: a request names an exact
/// version, a partial one (<c>3</c>, <c>3.11</c>, <c>3.x</c>), any (<c>*</c>), or one comparator (<c>&gt;=3.8</c>,
/// <c>^3.10</c>, <c>~3.11.1</c>, <c>&lt;4</c>). This covers those forms, not semver's whole grammar (no prerelease
/// tags, no unions or hyphen ranges); a request it cannot read matches nothing, so it is an unknown runtime as
/// Piston answers for a version it has not installed.</summary>
public static class PistonVersionRange
{
    public static bool Satisfies(string installed, string requested)
    {
        if (ParseInstalled(installed) is not { } version)
        {
            return false;
        }

        var range = requested.Trim();
        if (range is "*" or "x" or "X" or "")
        {
            return true;
        }

        var op = range.StartsWith(">=", StringComparison.Ordinal) || range.StartsWith("<=", StringComparison.Ordinal) ? range[..2]
            : range[0] is '>' or '<' or '=' or '^' or '~' ? range[..1]
            : "";
        if (ParseRequested(range[op.Length..].Trim().TrimStart('v')) is not { } bound)
        {
            return false;
        }

        // A partial bound (3, 3.11, 3.x) fills the rest with zeros for comparisons and matches by prefix for "=".
        var given = bound.Count(p => p is not null);
        int[] low = [.. bound.Select(p => p ?? 0)];
        return op switch
        {
            "" or "=" => Prefix(version, bound, given),
            ">=" => Compare(version, low) >= 0,
            ">" => given == 3 ? Compare(version, low) > 0 : !Prefix(version, bound, given) && Compare(version, low) > 0,
            "<=" => Compare(version, low) <= 0 || Prefix(version, bound, given),
            "<" => Compare(version, low) < 0,
            // ^1.2.3 keeps the first non-zero part; ~1.2.3 keeps major.minor (major only when minor is not given).
            "^" => Compare(version, low) >= 0 && Prefix(version, bound, Math.Min(given, CaretParts(low, given))),
            "~" => Compare(version, low) >= 0 && Prefix(version, bound, Math.Min(given, 2)),
            _ => false,
        };
    }

    private static int CaretParts(int[] low, int given) =>
        low[0] != 0 || given == 1 ? 1 : low[1] != 0 || given == 2 ? 2 : 3;

    private static bool Prefix(int[] version, int?[] bound, int parts)
    {
        for (var i = 0; i < parts; i++)
        {
            if (bound[i] is { } part && version[i] != part)
            {
                return false;
            }
        }

        return true;
    }

    private static int Compare(int[] a, int[] b)
    {
        for (var i = 0; i < 3; i++)
        {
            if (a[i] != b[i])
            {
                return a[i].CompareTo(b[i]);
            }
        }

        return 0;
    }

    /// <summary>The installed version's first three numeric parts (missing ones are 0; "3.11.2" or "17.0.9+9").</summary>
    private static int[]? ParseInstalled(string text)
    {
        var parts = text.Split('.', 4);
        var result = new int[3];
        for (var i = 0; i < Math.Min(parts.Length, 3); i++)
        {
            var digits = parts[i].TakeWhile(char.IsAsciiDigit).Count();
            if (digits == 0 || !int.TryParse(parts[i].AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out result[i]))
            {
                return null;
            }
        }

        return result;
    }

    /// <summary>major[.minor[.patch]], "x" or "*" for a part (the parts after it are wildcards too); a part not given
    /// is null.</summary>
    private static int?[]? ParseRequested(string text)
    {
        var parts = text.Split('.');
        if (parts.Length > 3)
        {
            return null;
        }

        var result = new int?[3];
        var wild = false;
        for (var i = 0; i < parts.Length; i++)
        {
            if (parts[i] is "x" or "X" or "*")
            {
                wild = true;
            }
            else if (!wild && int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                result[i] = n;
            }
            else
            {
                return null;
            }
        }

        return result;
    }
}
