namespace SoulBox.Agent.Worker;

/// <summary>A named code context: a language, a working directory and (while alive) its kernel.
/// Runs on one context are serialised by <see cref="Gate"/>; the kernel is (re)started lazily.</summary>
internal sealed class CodeContext(string id, string language, string cwd)
{
    public string Id { get; } = id;

    public string Language { get; } = language;

    public string Cwd { get; } = cwd;

    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>For listing contexts in the order they were made.</summary>
    public long Created { get; } = Environment.TickCount64;

    /// <summary>Null until the first run, and again after a timeout or crash killed it.</summary>
    public Kernel? Kernel { get; set; }
}
