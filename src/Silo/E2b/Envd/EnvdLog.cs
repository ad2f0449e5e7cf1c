namespace SoulBox.Silo.E2b.Envd;

/// <summary>envd's log messages.</summary>
internal static partial class EnvdLog
{
    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning, Message = "envd call {Path} failed inside the gateway")]
    public static partial void CallFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Debug, Message = "envd upload to {Path} refused: {Reason}")]
    public static partial void UploadRefused(ILogger logger, string path, string reason);
}
