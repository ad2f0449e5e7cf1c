namespace SoulBox.Grains.Execution;

/// <summary>Gives a one-shot compile stage its own memory limit: the executor container's limit (cgroup memory.max,
/// set through Docker's container update API) is changed to the compile limit just before the compiler starts and
/// set back to the run limit as soon as it ends, so the program, and any later run in the recycled executor, gets the
/// run limit. Not RLIMIT_AS: an address-space limit breaks the JVM and Go, whose runtimes reserve far more address
/// space than they use. Nothing changes (no Docker call) when both limits are the same, the default for runs that
/// ask for the node's default memory.</summary>
internal sealed class CompileMemory(Func<long, CancellationToken, Task> setLimit, long compileBytes, long runBytes)
{
    private Func<long, CancellationToken, Task> SetLimit { get; } = setLimit;

    /// <summary>The compile stage's limit in bytes.</summary>
    public long CompileBytes { get; } = compileBytes;

    /// <summary>The run's limit (the container's) in bytes, restored after the compile.</summary>
    public long RunBytes { get; } = runBytes;

    /// <summary>Runs <paramref name="compile"/> under the compile limit (none without <paramref name="memory"/>).
    /// A failure to set the run limit back throws, so the caller discards the executor rather than reuse it.</summary>
    public static async Task<T> AroundAsync<T>(CompileMemory? memory, Func<Task<T>> compile, CancellationToken cancellationToken)
    {
        if (memory is null || memory.CompileBytes == memory.RunBytes)
        {
            return await compile().ConfigureAwait(false);
        }

        await memory.SetLimit(memory.CompileBytes, cancellationToken).ConfigureAwait(false);
        try
        {
            return await compile().ConfigureAwait(false);
        }
        finally
        {
            // Not the caller's token: a cancelled run must still leave the container at its run limit.
            await memory.SetLimit(memory.RunBytes, CancellationToken.None).ConfigureAwait(false);
        }
    }
}
