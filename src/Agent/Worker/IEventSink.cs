using SoulBox.Agent.Protocol;

namespace SoulBox.Agent.Worker;

/// <summary>Where a handler sends the events of one request; the transport stamps the request id
/// and serialises writers on the connection.</summary>
internal interface IEventSink
{
    ValueTask SendAsync(AgentEvent agentEvent, ReadOnlyMemory<byte> payload = default);
}
