namespace SoulBox.Silo.Auth;

/// <summary>Once at start-up, tells the operator about plaintext entries left in the Redis key hash (they are refused).
/// In the background, so a slow or absent Redis does not hold the node's start.</summary>
internal sealed class ApiKeyStartupCheck(ApiKeyStore store) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => store.WarnAboutPlaintextKeysAsync().WaitAsync(stoppingToken);
}
