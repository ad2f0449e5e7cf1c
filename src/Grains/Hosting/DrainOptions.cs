namespace SoulBox.Grains.Hosting;

/// <summary>How a worker node drains (configuration section "SoulBox:Drain"): on <c>POST /admin/nodes/{node}/drain</c>
/// and on SIGTERM it takes no new sandboxes or one-shot runs, lets running one-shot runs finish and sandboxes live
/// until they end or the deadline, then ends what is left (reason <c>drained</c>) and stops.</summary>
public sealed class DrainOptions
{
    public const string SectionName = "SoulBox:Drain";

    /// <summary>Longest a drain waits for sandboxes to end and one-shot runs to finish; then the remaining sandboxes
    /// end with reason "drained" (their callers get 409) and their containers are removed. The host's shutdown
    /// timeout is set to this plus <see cref="ShutdownMarginSeconds"/>, so whatever stops the process (docker
    /// stop_grace_period, Kubernetes terminationGracePeriodSeconds) must wait longer than that. Default 30 s.</summary>
    public int DeadlineSeconds { get; set; } = 30;

    /// <summary>Stop the process once an admin-triggered drain is done (a supervisor restarts it fresh: a rolling
    /// restart). Off: the node stays up, drained, taking no work, until it is stopped. Default true.</summary>
    public bool ExitWhenDrained { get; set; } = true;

    /// <summary>Time the silo's own shutdown gets after the drain (leaving membership, removing idle containers).</summary>
    public const int ShutdownMarginSeconds = 10;

    public IEnumerable<string> Validate()
    {
        if (DeadlineSeconds is < 0 or > 3600) yield return $"{SectionName}:DeadlineSeconds must be between 0 and 3600.";
    }
}
