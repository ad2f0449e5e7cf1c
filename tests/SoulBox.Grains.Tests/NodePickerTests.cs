using SoulBox.Grains.Nodes;

namespace SoulBox.Grains.Tests;

public sealed class NodePickerTests
{
    [Fact]
    public void ABurstOfCreates_SpreadsOverIdleNodes_EvenWhenOnlyOneHasWarmContainers()
    {
        // Right after start-up: node a's warm pool has filled, node b's is still starting (the two-silo Redis test).
        NodeLoad[] loads =
        [
            new() { Node = "a", MaxSandboxes = 100, WarmContainers = 4 },
            new() { Node = "b", MaxSandboxes = 100, WarmContainers = 0 },
        ];
        var placed = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var chosen = NodePicker.Pick(loads, new Random(i));
            placed.Add(chosen.Node);
            // The factory counts each placement at once, as here.
            loads = [.. loads.Select(n => n.Node == chosen.Node ? n with { ActiveSandboxes = n.ActiveSandboxes + 1 } : n)];
        }

        Assert.Equal(["a", "b", "a", "b"], placed);
    }

    [Fact]
    public void ALanguageImageNoNodeHas_IsRefusedWithTheSetupCommandThatBuildsIt()
    {
        NodeLoad[] loads = [new() { Node = "a", MaxSandboxes = 100, Templates = [Templates.Python, Templates.Node] }];

        var error = Assert.Throws<NoCapacityException>(() => NodePicker.Candidates(loads, Languages.DefaultTemplate(Languages.Rust), forSandbox: false, []));

        Assert.Equal("No worker node has the 'rust' image; run scripts/setup.sh --images rust on a worker.", error.Message);
    }

    [Fact]
    public void AWarmContainer_BreaksATie()
    {
        NodeLoad[] loads =
        [
            new() { Node = "cold", ActiveSandboxes = 3, MaxSandboxes = 100 },
            new() { Node = "warm", ActiveSandboxes = 3, MaxSandboxes = 100, WarmContainers = 1 },
        ];
        for (var seed = 0; seed < 20; seed++)
        {
            Assert.Equal("warm", NodePicker.Pick(loads, new Random(seed)).Node);
        }
    }

    [Fact]
    public void TheLessLoadedNode_Wins_WhateverItsWarmPool()
    {
        NodeLoad[] loads =
        [
            new() { Node = "busy", ActiveSandboxes = 10, MaxSandboxes = 100, WarmContainers = 8 },
            new() { Node = "idle", ActiveSandboxes = 9, MaxSandboxes = 100 },
        ];
        Assert.Equal("idle", NodePicker.Pick(loads, new Random(1)).Node);
    }
}
