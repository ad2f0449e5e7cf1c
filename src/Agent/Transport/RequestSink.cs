using SoulBox.Agent.Protocol;
using SoulBox.Agent.Worker;

namespace SoulBox.Agent.Transport;

/// <summary>The events of one request: stamps the request id and writes through the connection.</summary>
internal sealed class RequestSink(AgentConnection connection, long requestId) : IEventSink
{
    public ValueTask SendAsync(AgentEvent agentEvent, ReadOnlyMemory<byte> payload = default) =>
        connection.SendAsync(agentEvent with { Id = requestId }, payload);
}
