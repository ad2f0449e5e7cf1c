using SoulBox.Silo.Api;

namespace SoulBox.Silo.Tests;

/// <summary>Piston's version matching (node-semver's satisfies) for the forms clients send.</summary>
public sealed class PistonVersionRangeTests
{
    [Theory]
    [InlineData("3.11.2", "*", true)]
    [InlineData("3.11.2", "x", true)]
    [InlineData("3.11.2", "3.11.2", true)]
    [InlineData("3.11.2", "=3.11.2", true)]
    [InlineData("3.11.2", "v3.11.2", true)]
    [InlineData("3.11.2", "3.11.1", false)]
    [InlineData("3.11.2", "3", true)]
    [InlineData("3.11.2", "3.11", true)]
    [InlineData("3.11.2", "3.x", true)]
    [InlineData("3.11.2", "3.11.x", true)]
    [InlineData("3.11.2", "3.10", false)]
    [InlineData("3.11.2", "9.9", false)]
    [InlineData("3.11.2", "2", false)]
    [InlineData("3.11.2", ">=3.8", true)]
    [InlineData("3.11.2", ">=3.12", false)]
    [InlineData("3.11.2", ">3", false)]
    [InlineData("3.11.2", ">3.10", true)]
    [InlineData("3.11.2", ">3.11", false)]
    [InlineData("3.11.2", "<4", true)]
    [InlineData("3.11.2", "<3.11", false)]
    [InlineData("3.11.2", "<=3", true)]
    [InlineData("3.11.2", "<=3.10", false)]
    [InlineData("3.11.2", "^3.10", true)]
    [InlineData("3.11.2", "^3.12", false)]
    [InlineData("3.11.2", "^2.7", false)]
    [InlineData("0.2.5", "^0.2.3", true)]
    [InlineData("0.3.0", "^0.2.3", false)]
    [InlineData("3.11.2", "~3.11.1", true)]
    [InlineData("3.12.0", "~3.11.1", false)]
    [InlineData("3.11.2", "~3", true)]
    [InlineData("17.0.9+9", "17", true)]
    [InlineData("1.19.8", "1.19", true)]
    [InlineData("3.11.2", "latest", false)]
    [InlineData("3.11.2", "3.11.2.1", false)]
    [InlineData("3.11.2", ">=", false)]
    [InlineData("3.11.2", "3 || 4", false)]
    [InlineData("unknown", "*", false)]
    public void Satisfies_MatchesAsPistonDoes(string installed, string requested, bool expected) =>
        Assert.Equal(expected, PistonVersionRange.Satisfies(installed, requested));
}
