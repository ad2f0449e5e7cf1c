namespace SoulBox.Grains.Containers;

/// <summary>Whether this node's container starts work: the outcome of the latest start of a container with its agent
/// answering (warm pool, sandbox, one-shot executor). A node whose agent artifact was never published, or whose
/// images or engine are broken, fails every start; readiness reports that instead of answering "ready" while every
/// create fails.</summary>
internal sealed class ContainerStarts(TimeProvider time)
{
    private readonly Lock _lock = new();

    public int Succeeded { get; private set; }

    public int Failed { get; private set; }

    /// <summary>Why the latest start failed, when the latest start failed; null after a success.</summary>
    public string? LastFailure { get; private set; }

    public DateTimeOffset? LastSuccessAt { get; private set; }

    public void Success()
    {
        lock (_lock)
        {
            Succeeded++;
            LastFailure = null;
            LastSuccessAt = time.GetUtcNow();
        }
    }

    public void Failure(string reason)
    {
        lock (_lock)
        {
            Failed++;
            LastFailure = reason;
        }
    }
}
