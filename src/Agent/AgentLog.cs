namespace SoulBox.Agent;

/// <summary>One line per notable event on stderr (the container log).</summary>
internal static class AgentLog
{
    public static void Info(string message) =>
        Console.Error.WriteLine($"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} soulbox-agent: {message}");
}
