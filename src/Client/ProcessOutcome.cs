namespace SoulBox.Client;

/// <summary>How a background process ended, with the output its waiter collected while attached.</summary>
public sealed record ProcessOutcome
{
    /// <summary>The process id inside the sandbox.</summary>
    public int Pid { get; init; }

    /// <summary>Exit code or signal, whether its lifetime ended it, and its wall time.</summary>
    public required ProcessExit Exit { get; init; }

    /// <summary>Standard output received while attached (UTF-8), up to the waiter's cap.</summary>
    public string Stdout { get; init; } = "";

    /// <summary>Standard error received while attached (UTF-8), up to the waiter's cap.</summary>
    public string Stderr { get; init; } = "";

    /// <summary>Stdout passed the waiter's cap and was cut.</summary>
    public bool StdoutTruncated { get; init; }

    /// <summary>Stderr passed the waiter's cap and was cut.</summary>
    public bool StderrTruncated { get; init; }
}
