namespace SoulBox.Grains.Tests;

public sealed class SandboxIdsTests
{
    [Fact]
    public void New_PrefixesTheNodeName_AndNodeOfReadsItBack()
    {
        var id = SandboxIds.New("worker-1");

        Assert.StartsWith("worker-1.", id);
        Assert.Equal(12, id.Length - "worker-1.".Length);
        Assert.Equal("worker-1", SandboxIds.NodeOf(id));
    }

    [Fact]
    public void New_GivesDifferentIdsEachTime() =>
        Assert.Equal(1000, Enumerable.Range(0, 1000).Select(_ => SandboxIds.New("n")).Distinct().Count());

    [Theory]
    [InlineData("")]
    [InlineData("nodot")]
    [InlineData(".startsWithDot")]
    [InlineData("endsWithDot.")]
    public void NodeOf_IsNullForMalformedIds(string id) => Assert.Null(SandboxIds.NodeOf(id));

    [Fact]
    public void NodeOf_IsNullForOverlongIds() => Assert.Null(SandboxIds.NodeOf(new string('a', 200) + ".x"));

    [Theory]
    [InlineData("Primary", true)]
    [InlineData("Secondary_1", true)]
    [InlineData("host-a", true)]
    [InlineData("has.dot", false)]
    [InlineData("", false)]
    [InlineData("has space", false)]
    public void IsValidNodeName_AcceptsLettersDigitsDashUnderscore(string name, bool valid) =>
        Assert.Equal(valid, SandboxIds.IsValidNodeName(name));
}
