using CsCheck;
using SoulBox.Grains.Nodes;

namespace SoulBox.Grains.Tests;

/// <summary>Placement across workers of different declared sizes (MaxSandboxes, MaxExecutions): each takes work in
/// proportion to its size, draining nodes take none, and a node that cannot start containers takes work only when no
/// ready node has the template.</summary>
public sealed class CapacityPlacementTests
{
    private static readonly string[] Python = [Templates.Python];

    /// <summary>Places <paramref name="count"/> sandboxes as the factory does (each counted at once) and returns how
    /// many each node got.</summary>
    private static Dictionary<string, int> PlaceSandboxes(NodeLoad[] loads, int count, int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var chosen = NodePicker.Pick(NodePicker.Candidates(loads, Templates.Python, forSandbox: true, []), random);
            loads = [.. loads.Select(n => n.Node == chosen.Node ? n with { ActiveSandboxes = n.ActiveSandboxes + 1 } : n)];
        }

        return loads.ToDictionary(n => n.Node, n => n.ActiveSandboxes);
    }

    private static Dictionary<string, int> PlaceRuns(NodeLoad[] loads, int count, int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var chosen = NodePicker.PickForExecution(NodePicker.Candidates(loads, Templates.Python, forSandbox: false, []), random);
            loads = [.. loads.Select(n => n.Node == chosen.Node ? n with { RunningExecutions = n.RunningExecutions + 1 } : n)];
        }

        return loads.ToDictionary(n => n.Node, n => n.RunningExecutions);
    }

    [Fact]
    public void ATwiceAsLargeWorker_TakesTwiceTheSandboxes()
    {
        NodeLoad[] loads =
        [
            new() { Node = "big", MaxSandboxes = 200, Templates = Python, WarmContainers = 1 },
            new() { Node = "small", MaxSandboxes = 100, Templates = Python, WarmContainers = 1 },
        ];
        var placed = PlaceSandboxes(loads, 90, seed: 7);
        Assert.Equal(60, placed["big"]);
        Assert.Equal(30, placed["small"]);
    }

    [Fact]
    public void ATwiceAsLargeWorker_TakesTwiceTheOneShotRuns_OfABurst()
    {
        // A burst within one load refresh: before, runs were spread at random between nodes with free slots.
        NodeLoad[] loads =
        [
            new() { Node = "big", MaxSandboxes = 100, MaxExecutions = 8, Templates = Python },
            new() { Node = "small", MaxSandboxes = 100, MaxExecutions = 4, Templates = Python },
        ];
        var placed = PlaceRuns(loads, 12, seed: 3);
        Assert.Equal(8, placed["big"]);
        Assert.Equal(4, placed["small"]);
    }

    [Fact]
    public void NoWorker_GetsAheadOfTheLeastLoaded_ByMoreThanOneAndAHalfUnits_ForAnyMixOfSizes()
    {
        // Any 1-5 workers of sizes 1-8 units (a unit = 10 sandboxes, 2 run slots), any amount of work up to what they
        // hold, any tie-breaking: a node takes work only while its share is within half a unit (of its own) of the
        // least loaded node's, so it never holds more than 1.5 units beyond that node's share of its size; with two
        // nodes that keeps each within 1.5 units of its exact proportional share.
        var gen = Gen.Select(Gen.Int[1, 8].Array[1, 5], Gen.Int[0, 1000], Gen.Int);
        gen.Sample((sizes, fill, seed) =>
        {
            var loads = sizes.Select((size, i) => new NodeLoad
            {
                Node = $"n{i}",
                MaxSandboxes = size * 10,
                MaxExecutions = size * 2,
                Templates = Python,
                WarmContainers = Math.Abs(seed % (i + 2)),
            }).ToArray();
            var total = sizes.Sum();
            return Holds(PlaceSandboxes(loads, fill * total * 10 / 1000, seed), sizes.Select(s => s * 10).ToArray())
                && Holds(PlaceRuns(loads, fill * total * 2 / 1000, seed), sizes.Select(s => s * 2).ToArray());
        }, iter: 300);

        static bool Holds(Dictionary<string, int> placed, int[] capacity)
        {
            var counts = capacity.Select((_, i) => placed[$"n{i}"]).ToArray();
            var least = counts.Select((c, i) => (double)c / capacity[i]).Min();
            var placedAll = counts.Sum();
            var aheadOk = counts.Select((c, i) => c <= capacity[i] * least + 1.5 + 1e-9).All(ok => ok);
            var twoNodesOk = counts.Length != 2 || counts.Select((c, i) => Math.Abs(c - (double)placedAll * capacity[i] / capacity.Sum()) <= 1.5).All(ok => ok);
            return aheadOk && twoNodesOk;
        }
    }

    [Fact]
    public void DrainingWorkers_TakeNoWork_AndWhenAllDrain_TheCallerIsToldToRetry()
    {
        NodeLoad[] loads =
        [
            new() { Node = "leaving", MaxSandboxes = 1000, MaxExecutions = 100, Templates = Python, Draining = true },
            new() { Node = "staying", ActiveSandboxes = 99, MaxSandboxes = 100, RunningExecutions = 3, MaxExecutions = 4, Templates = Python },
        ];
        Assert.Equal(["staying"], NodePicker.Candidates(loads, Templates.Python, forSandbox: true, []).Select(n => n.Node));
        Assert.Equal(["staying"], NodePicker.Candidates(loads, Templates.Python, forSandbox: false, []).Select(n => n.Node));

        var error = Assert.Throws<NodeDrainingException>(() => NodePicker.Candidates(loads, Templates.Python, forSandbox: false, ["staying"]));
        Assert.Equal(ErrorCodes.NoCapacity, error.Code);
        Assert.Equal(NodeDrainingException.DefaultRetryAfterSeconds, error.RetryAfterSeconds);
    }

    [Fact]
    public void AWorkerThatCannotStartContainers_TakesWorkOnlyWhenNoReadyWorkerHasTheTemplate()
    {
        NodeLoad[] loads =
        [
            new() { Node = "broken", MaxSandboxes = 100, Templates = [Templates.Python, Templates.Node], NotReady = ["agent: missing"] },
            new() { Node = "fine", ActiveSandboxes = 50, MaxSandboxes = 100, Templates = Python },
        ];
        Assert.Equal(["fine"], NodePicker.Candidates(loads, Templates.Python, forSandbox: true, []).Select(n => n.Node));
        Assert.Equal(["broken"], NodePicker.Candidates(loads, Templates.Node, forSandbox: true, []).Select(n => n.Node));
    }
}
