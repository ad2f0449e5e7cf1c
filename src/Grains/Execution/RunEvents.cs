
namespace SoulBox.Grains.Execution;

internal static class RunEvents
{
    /// <summary>Reads a run's events to its final one and returns that one's result, passing output on to
    /// <paramref name="onOutput"/>. A stream that ends without a result is an agent fault.</summary>
    public static async Task<T> FinalAsync<T>(IAsyncEnumerable<RunEvent> events, Func<RunEvent, T?> result, Func<RunEvent, ValueTask>? onOutput = null)
        where T : class
    {
        await foreach (var item in events.ConfigureAwait(false))
        {
            if (result(item) is { } final)
            {
                return final;
            }

            if (onOutput is not null)
            {
                await onOutput(item).ConfigureAwait(false);
            }
        }

        throw new SoulBoxException(ErrorCodes.Internal, "The sandbox agent ended a run without its result.");
    }
}
