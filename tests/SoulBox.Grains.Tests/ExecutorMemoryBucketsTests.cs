using SoulBox.Grains.Nodes;

namespace SoulBox.Grains.Tests;

public sealed class ExecutorMemoryBucketsTests
{
    [Theory]
    [InlineData(32, 4096, 128)]
    [InlineData(128, 4096, 128)]
    [InlineData(129, 4096, 256)]
    [InlineData(300, 4096, 512)]
    [InlineData(512, 4096, 512)]
    [InlineData(1000, 4096, 1024)]
    [InlineData(2049, 4096, 4096)]
    [InlineData(4096, 4096, 4096)]
    [InlineData(2500, 3000, 3000)]
    [InlineData(64, 100, 100)]
    public void MemoryRoundsUpToAPowerOfTwoBucketWithinTheNodesMaximum(int requested, int max, int bucket) =>
        Assert.Equal(bucket, ExecutorMemoryBuckets.RoundUp(requested, max));

    [Fact]
    public void FortyDistinctRequestsLandInSixBuckets()
    {
        var buckets = Enumerable.Range(0, 40).Select(i => ExecutorMemoryBuckets.RoundUp(32 + i * 100, 4096)).Distinct().Order().ToArray();

        Assert.Equal([128, 256, 512, 1024, 2048, 4096], buckets);
    }
}
