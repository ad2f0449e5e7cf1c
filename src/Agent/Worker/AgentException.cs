namespace SoulBox.Agent.Worker;

/// <summary>A request failed in a way the caller should see as an ErrorEvent with this code
/// (one of AgentErrorCodes).</summary>
internal sealed class AgentException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
