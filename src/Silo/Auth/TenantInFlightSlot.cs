namespace SoulBox.Silo.Auth;

/// <summary>The in-flight slot a request holds (an HttpContext feature set by <see cref="TenantInFlightLimiter"/>).
/// <see cref="Release"/> gives it back early, once; the limiter releases it at the end of the response otherwise.</summary>
internal sealed class TenantInFlightSlot(Action release)
{
    private int _released;

    public void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            release();
        }
    }
}
