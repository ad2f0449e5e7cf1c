namespace SoulBox.Hostile.Tests;

/// <summary>The fixture itself: a fresh node serves the bystander, and only its own containers carry its label.</summary>
[Collection(HostileCollection.Name)]
public sealed class NodeSurvivesTests(HostileNode node)
{
    [Fact]
    public async Task AFreshNodeServesTheBystander()
    {
        await node.AssertBystanderAnswersAsync();
        Assert.NotEmpty(await node.ContainersAsync());
    }
}
