namespace SoulBox;

/// <summary>The node chosen for new work is draining (it finishes what it has and then stops) and no other node
/// could take the work: 503 with Retry-After. Placement re-places work that races into a draining node, so a
/// caller sees this only when every worker is draining or full.</summary>
[GenerateSerializer, Alias("soulbox.NodeDrainingException")]
public sealed class NodeDrainingException(string node, string message, int retryAfterSeconds = NodeDrainingException.DefaultRetryAfterSeconds)
    : RetryLaterException(ErrorCodes.NoCapacity, message, retryAfterSeconds)
{
    /// <summary>A drained worker usually comes back (a rolling restart) or another takes over within seconds.</summary>
    public const int DefaultRetryAfterSeconds = 5;

    /// <summary>The draining node that refused the work.</summary>
    [Id(0)] public string Node { get; private set; } = node;
}
