namespace SoulBox.Grains.Nodes;

/// <summary>The memory limits one-shot executor containers are made with: powers of two from 128 MiB
/// (128, 256, 512, 1024, 2048, 4096, ...), never above the node's MaxMemoryMb. A run asking for any memoryMb gets
/// the container of the smallest bucket that holds it, so a sweep over memoryMb reuses a handful of containers
/// instead of keeping one idle per value. The kernel enforces the bucket; the pool then reports a run whose peak
/// memory passed the requested limit as <see cref="ExecutionStatus.MemoryLimit"/>, so the verdict is the one
/// asked for even when the program was not killed at exactly that limit.</summary>
internal static class ExecutorMemoryBuckets
{
    public const int SmallestMb = 128;

    /// <summary>The bucket of a request already validated to lie within [32, <paramref name="maxMemoryMb"/>].</summary>
    public static int RoundUp(int requestedMb, int maxMemoryMb)
    {
        var bucket = SmallestMb;
        while (bucket < requestedMb && bucket < maxMemoryMb)
        {
            bucket *= 2;
        }

        return Math.Min(bucket, maxMemoryMb);
    }
}
